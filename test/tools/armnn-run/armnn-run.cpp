//===- armnn-run.cpp - Run a .tflite model on Arm NN's CpuRef backend -----===//
//
// A test oracle: an independent implementation of the TFLite operators that
// `tinyprune run` can be compared with.
//
//   armnn-run MODEL.tflite --input in.bin [--input ...]
//                          --output out.bin [--output ...]
//                          [--backend-path DIR]
//
// Inputs and outputs are raw tensor bytes (row-major, little-endian, the
// element type the model declares), one file per subgraph input/output in
// the order of the model's subgraph 0. The model is parsed by Arm NN's
// TfLiteParser and executed on the CpuRef (reference) backend.
//
// Arm NN is not bit-exact with TFLite, so compare with a tolerance:
//  - The reference backend computes quantized operators through float
//    (dequantize, compute in float, requantize) instead of TFLite's
//    fixed-point multipliers, so int8 outputs may differ by +-1 (a little
//    more after several layers).
//  - Its int8 PAD fills with 0 instead of the tensor's zero point.
//
// The CpuRef backend is a dynamic backend in Debian
// (/usr/lib/<triple>/armnn22/Arm_CpuRef_backend.so), which libarmnn 20.08
// loads from its built-in directory. libarmnn itself reads no environment
// variable, so this tool takes an override directory for
// IRuntime::CreationOptions::m_DynamicBackendsPath from --backend-path, else
// $ARMNN_DYNAMIC_BACKEND_PATHS, else the directory CMake found
// (ARMNN_RUN_BACKEND_PATH), else libarmnn's default.
//
// Arm NN reports errors with C++ exceptions: this file is built with
// -fexceptions -frtti, unlike the rest of the project.
//
//===----------------------------------------------------------------------===//

#include "armnn/ArmNN.hpp"
#include "armnn/Exceptions.hpp"
#include "armnn/Utils.hpp"
#include "armnnTfLiteParser/ITfLiteParser.hpp"

#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#ifndef ARMNN_RUN_BACKEND_PATH
#define ARMNN_RUN_BACKEND_PATH ""
#endif

namespace {

/// An error that ends the run with a one-line message and exit code 1.
struct ToolError {
  std::string message;
};

[[noreturn]] void fail(const std::string &message) { throw ToolError{message}; }

struct Options {
  std::string model;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::string backendPath;
};

void printUsage(std::ostream &os) {
  os << "usage: armnn-run MODEL.tflite --input in.bin [--input ...] "
        "--output out.bin [--output ...] [--backend-path DIR]\n";
}

Options parseArgs(int argc, char **argv) {
  Options opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto takeValue = [&](const std::string &flag) -> std::string {
      // Accepts both "--flag value" and "--flag=value".
      if (arg.size() > flag.size() && arg.compare(0, flag.size(), flag) == 0 &&
          arg[flag.size()] == '=')
        return arg.substr(flag.size() + 1);
      if (i + 1 >= argc)
        fail(flag + " needs a value");
      return argv[++i];
    };
    auto is = [&](const std::string &flag) {
      return arg == flag || arg.compare(0, flag.size() + 1, flag + "=") == 0;
    };
    if (arg == "-h" || arg == "--help") {
      printUsage(std::cout);
      std::exit(0);
    }
    if (is("--input"))
      opts.inputs.push_back(takeValue("--input"));
    else if (is("--output"))
      opts.outputs.push_back(takeValue("--output"));
    else if (is("--backend-path"))
      opts.backendPath = takeValue("--backend-path");
    else if (!arg.empty() && arg[0] == '-')
      fail("unknown option '" + arg + "'");
    else if (opts.model.empty())
      opts.model = arg;
    else
      fail("more than one model given ('" + opts.model + "', '" + arg + "')");
  }
  if (opts.model.empty())
    fail("no model given");
  return opts;
}

std::vector<char> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail("cannot open '" + path + "'");
  return std::vector<char>(std::istreambuf_iterator<char>(in),
                           std::istreambuf_iterator<char>());
}

void writeFile(const std::string &path, const std::vector<char> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    fail("cannot open '" + path + "' for writing");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out)
    fail("cannot write '" + path + "'");
}

std::string describe(const armnn::TensorInfo &info) {
  std::ostringstream os;
  os << armnn::GetDataTypeName(info.GetDataType()) << "[";
  const armnn::TensorShape &shape = info.GetShape();
  for (unsigned i = 0; i < shape.GetNumDimensions(); ++i)
    os << (i ? "," : "") << shape[i];
  os << "]";
  return os.str();
}

std::string backendPath(const Options &opts) {
  if (!opts.backendPath.empty())
    return opts.backendPath;
  if (const char *env = std::getenv("ARMNN_DYNAMIC_BACKEND_PATHS"))
    if (*env)
      return env;
  return ARMNN_RUN_BACKEND_PATH;
}

int run(const Options &opts) {
  // Warnings (e.g. about the backend path) go to stdout, which carries no
  // data: the outputs go to files.
  armnn::ConfigureLogging(/*printToStandardOutput=*/true,
                          /*printToDebugOutput=*/false,
                          armnn::LogSeverity::Warning);

  armnnTfLiteParser::ITfLiteParserPtr parser =
      armnnTfLiteParser::ITfLiteParser::Create();
  armnn::INetworkPtr network =
      parser->CreateNetworkFromBinaryFile(opts.model.c_str());
  if (!network)
    fail("cannot parse '" + opts.model + "'");
  if (parser->GetSubgraphCount() != 1)
    fail("expected one subgraph, the model has " +
         std::to_string(parser->GetSubgraphCount()));

  std::vector<std::string> inputNames = parser->GetSubgraphInputTensorNames(0);
  std::vector<std::string> outputNames =
      parser->GetSubgraphOutputTensorNames(0);
  if (opts.inputs.size() != inputNames.size())
    fail("the model has " + std::to_string(inputNames.size()) + " input(s), " +
         std::to_string(opts.inputs.size()) + " --input given");
  if (opts.outputs.size() != outputNames.size())
    fail("the model has " + std::to_string(outputNames.size()) +
         " output(s), " + std::to_string(opts.outputs.size()) +
         " --output given");

  armnn::IRuntime::CreationOptions runtimeOptions;
  runtimeOptions.m_DynamicBackendsPath = backendPath(opts);
  armnn::IRuntimePtr runtime = armnn::IRuntime::Create(runtimeOptions);

  const armnn::BackendId cpuRef("CpuRef");
  const armnn::BackendIdSet &available =
      runtime->GetDeviceSpec().GetSupportedBackends();
  if (available.find(cpuRef) == available.end())
    fail("the CpuRef backend is not available (backend path '" +
         runtimeOptions.m_DynamicBackendsPath +
         "'; set --backend-path or ARMNN_DYNAMIC_BACKEND_PATHS to the "
         "directory holding Arm_CpuRef_backend.so)");

  std::vector<std::string> messages;
  armnn::IOptimizedNetworkPtr optimized = armnn::Optimize(
      *network, {cpuRef}, runtime->GetDeviceSpec(), armnn::OptimizerOptions(),
      armnn::Optional<std::vector<std::string> &>(messages));
  if (!optimized) {
    std::string why = messages.empty() ? "" : ": " + messages.front();
    fail("Arm NN cannot optimize the network for CpuRef" + why);
  }

  armnn::NetworkId networkId;
  std::string loadError;
  if (runtime->LoadNetwork(networkId, std::move(optimized), loadError) !=
      armnn::Status::Success)
    fail("Arm NN cannot load the network: " + loadError);

  // Inputs: read and check sizes against the binding infos.
  std::vector<std::vector<char>> inputData(inputNames.size());
  armnn::InputTensors inputTensors;
  for (size_t i = 0; i < inputNames.size(); ++i) {
    armnnTfLiteParser::BindingPointInfo binding =
        parser->GetNetworkInputBindingInfo(0, inputNames[i]);
    const armnn::TensorInfo &info = binding.second;
    inputData[i] = readFile(opts.inputs[i]);
    if (inputData[i].size() != info.GetNumBytes())
      fail("input " + std::to_string(i) + " ('" + inputNames[i] + "', " +
           describe(info) + ") needs " + std::to_string(info.GetNumBytes()) +
           " bytes, '" + opts.inputs[i] + "' has " +
           std::to_string(inputData[i].size()));
    inputTensors.emplace_back(binding.first,
                              armnn::ConstTensor(info, inputData[i].data()));
  }

  std::vector<std::vector<char>> outputData(outputNames.size());
  armnn::OutputTensors outputTensors;
  for (size_t i = 0; i < outputNames.size(); ++i) {
    armnnTfLiteParser::BindingPointInfo binding =
        parser->GetNetworkOutputBindingInfo(0, outputNames[i]);
    outputData[i].assign(binding.second.GetNumBytes(), 0);
    outputTensors.emplace_back(
        binding.first, armnn::Tensor(binding.second, outputData[i].data()));
  }

  if (runtime->EnqueueWorkload(networkId, inputTensors, outputTensors) !=
      armnn::Status::Success)
    fail("Arm NN failed to run the network");

  for (size_t i = 0; i < outputNames.size(); ++i)
    writeFile(opts.outputs[i], outputData[i]);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(parseArgs(argc, argv));
  } catch (const ToolError &e) {
    std::cerr << "armnn-run: error: " << e.message << "\n";
  } catch (const armnn::Exception &e) {
    std::string what = e.what();
    // Arm NN messages may span lines; keep the report to one.
    for (char &c : what)
      if (c == '\n')
        c = ' ';
    std::cerr << "armnn-run: Arm NN error: " << what << "\n";
  } catch (const std::exception &e) {
    std::cerr << "armnn-run: error: " << e.what() << "\n";
  }
  return 1;
}
