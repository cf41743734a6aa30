/*===- startup.c - Bare-metal start-up for the MPS2 boards under QEMU ------===
 *
 * Vector table and reset handler for tinyprune's MCU tests: copy .data from
 * flash, clear .bss, enable the FPU when the core has one, run static
 * constructors, call main, and leave QEMU through semihosting.
 *
 *===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <stdlib.h>

extern uint32_t __data_load__, __data_start__, __data_end__;
extern uint32_t __bss_start__, __bss_end__;
extern uint32_t __stack_top__;

extern int main(void);
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);

void Reset_Handler(void);

/* -nostartfiles leaves out crti/crtn: newlib's init and fini arrays still
 * call these hooks. */
void _init(void) {}
void _fini(void) {}

/* Any fault: stop with a distinctive exit status. */
static void Fault_Handler(void) { exit(3); }

__attribute__((section(".vectors"), used)) static void (*const vectors[])(void) = {
    (void (*)(void))(&__stack_top__), /* initial stack pointer */
    Reset_Handler,                    /* reset */
    Fault_Handler,                    /* NMI */
    Fault_Handler,                    /* hard fault */
    Fault_Handler,                    /* memory management fault */
    Fault_Handler,                    /* bus fault */
    Fault_Handler,                    /* usage fault */
};

void Reset_Handler(void) {
  uint32_t *src = &__data_load__;
  for (uint32_t *dst = &__data_start__; dst < &__data_end__;)
    *dst++ = *src++;
  for (uint32_t *dst = &__bss_start__; dst < &__bss_end__;)
    *dst++ = 0;
#if defined(__ARM_FP)
  /* CPACR: full access to coprocessors 10 and 11 (the FPU). */
  *(volatile uint32_t *)0xE000ED88 |= (0xFu << 20);
  __asm volatile("dsb\n\tisb");
#endif
  /* rdimon's crt0 would open the semihosting stdio and file handles. */
  initialise_monitor_handles();
  __libc_init_array();
  exit(main());
}
