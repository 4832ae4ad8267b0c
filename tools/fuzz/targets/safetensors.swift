// libFuzzer target: Safetensors.parse must return tensors or throw SafetensorsError, for any bytes.
import Foundation
import Tensors

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    do {
        _ = try Safetensors.parse(Data(bytes: bytes, count: count))
    } catch is SafetensorsError {
    } catch {
        fatalError("untyped error: \(error)")
    }
    return 0
}
