// libFuzzer target: the Sort-of-CLEVR questions.jsonl and vocab.json parsers must return records or throw
// SortOfCLEVRError, for any bytes (each input goes to both).
import Foundation
@testable import Tasks

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: bytes, count: count)
    let parsers: [() throws -> Any] = [
        { try SortOfCLEVRFiles.parseQuestions(data, path: "questions.jsonl") },
        { try SortOfCLEVRFiles.parseVocabulary(data, path: "vocab.json") },
    ]
    for parse in parsers {
        do {
            _ = try parse()
        } catch is SortOfCLEVRError {
        } catch {
            fatalError("untyped error: \(error)")
        }
    }
    return 0
}
