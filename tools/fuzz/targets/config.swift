// libFuzzer target: TrainingConfig(yaml:) must return a valid config or throw TrainingConfigError, for any text.
import Foundation
import Training

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    do {
        let config = try TrainingConfig(yaml: String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self))
        try config.validate()
    } catch is TrainingConfigError {
    } catch {
        fatalError("untyped error: \(error)")
    }
    return 0
}
