// libFuzzer target: TorchCheckpoint.load(data:) (zip and legacy pickle formats) must return tensors or throw
// TorchFileError, for any bytes.
import Foundation
import TorchFiles

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    do {
        _ = try TorchCheckpoint.load(data: Data(bytes: bytes, count: count))
    } catch is TorchFileError {
    } catch {
        fatalError("untyped error: \(error)")
    }
    return 0
}
