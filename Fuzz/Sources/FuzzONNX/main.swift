// libFuzzer target: the same bytes as an ONNX model, an ONNX TensorProto and a .npy array.
// Built by tools/fuzz.sh (see ../../Package.swift for the flags).
import Foundation
import FuzzDriver
import FuzzHarness

@_cdecl("LLVMFuzzerTestOneInput")
public func FuzzONNXTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzHarness.run(.onnx, UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

// This file's top-level code is the process's main (see FuzzDriver.h).
exit(squeeze_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv, FuzzONNXTestOneInput))
