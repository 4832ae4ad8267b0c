// libFuzzer target: the own-data manifest parser must return entries or throw ManifestError, for any bytes
// read as JSONL and as CSV.
import Foundation
import OwnData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: bytes, count: count)
    for format in [Manifest.Format.jsonl, .csv] {
        do {
            _ = try Manifest.parse(data, format: format, path: "manifest", directory: URL(fileURLWithPath: "/data"))
        } catch is ManifestError {
        } catch {
            fatalError("untyped error: \(error)")
        }
    }
    return 0
}
