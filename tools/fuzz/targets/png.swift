// libFuzzer target: PNG.decode must return an image or throw ImageError, for any bytes.
import Foundation
import Imaging

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    do {
        _ = try PNG.decode(Data(bytes: bytes, count: count))
    } catch is ImageError {
    } catch {
        fatalError("untyped error: \(error)")
    }
    return 0
}
