import Foundation
import Tensors
import TestSupport
import XCTest

/// Seeded mutation fuzzing of the safetensors reader (a short run; `make fuzz` runs the libFuzzer target
/// tools/fuzz/targets/safetensors.swift for longer) and the writer's unwritable-directory error.
final class SafetensorsFuzzTests: XCTestCase {
    private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func testMutatedFilesParseOrThrowSafetensorsError() {
        let corpus = corpusFiles(fixtures, suffix: ".safetensors", limit: 8) + [Safetensors.encode([:]), Safetensors.encode(
            ["a": Tensor(shape: [2, 2], [1, 2, 3, 4]), "b": Tensor(7)], metadata: ["format": "pt"])]
        let (parsed, rejected) = fuzzParser("safetensors", corpus: corpus, iterations: 3000, isTyped: { $0 is SafetensorsError }) {
            _ = try Safetensors.parse($0)
        }
        XCTAssertGreaterThan(rejected, 1000, "the mutations must mostly break the files")
        XCTAssertGreaterThan(parsed, 0, "and some must still parse (payload-only changes)")
    }

    func testWritingIntoAnUnwritableDirectoryIsATypedError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("SafetensorsFuzzTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: file)
        let target = file.appendingPathComponent("model.safetensors")
        XCTAssertThrowsError(try Safetensors.write(["a": Tensor(1)], to: target)) { error in
            guard case let .unwritable(path, reason)? = error as? SafetensorsError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, target.path)
            XCTAssertEqual(reason, "Not a directory (\(file.path) is a file)")
            XCTAssertTrue("\(error)".hasPrefix("cannot write safetensors file \(target.path): ")
                          && "\(error)".hasSuffix("check that the directory exists and is writable"), "\(error)")
        }
        let missing = dir.appendingPathComponent("missing/m.safetensors")
        XCTAssertThrowsError(try Safetensors.write(["a": Tensor(1)], to: missing)) { error in
            XCTAssertEqual(error as? SafetensorsError, .unwritable(
                path: missing.path, reason: "No such file or directory (\(dir.path)/missing does not exist)"))
        }
    }
}
