// The C++ lowering's buffers have static sizes: a function whose argument
// or result is not a statically shaped tensor is refused with one error
// naming it (issue 18), not lowered with a size of 0.
// RUN: tinyprune-opt %s -split-input-file -verify-diagnostics --tinyprune-lower-to-cpp -o /dev/null

// expected-error@+1 {{the C++ lowering needs statically shaped tensors; argument 0 is 'i32'}}
func.func @scalar(%a: i32) -> i32 {
  return %a : i32
}

// -----

// expected-error@+1 {{the C++ lowering needs statically shaped tensors; argument 0 is 'tensor<?x28x28x1xi8>'}}
func.func @dynamic(%a: tensor<?x28x28x1xi8>) -> tensor<?x28x28x1xi8> {
  return %a : tensor<?x28x28x1xi8>
}

// -----

// expected-error@+1 {{the C++ lowering needs statically shaped tensors; result 0 is 'tensor<*xi8>'}}
func.func @unranked_result(%a: tensor<4xi8>) -> tensor<*xi8> {
  %c = tensor.cast %a : tensor<4xi8> to tensor<*xi8>
  return %c : tensor<*xi8>
}
