import Foundation
@testable import OwnData
import Tensors
import TestSupport
import XCTest

/// The manifest parser: JSONL and CSV, every malformed-line case naming its line, a property check that
/// written manifests parse back, and seeded mutation fuzzing (only `ManifestError`s, never a crash).
final class ManifestTests: XCTestCase {
    private let dir = URL(fileURLWithPath: "/data/set")

    private func parse(_ text: String, _ format: Manifest.Format = .jsonl) throws -> [ManifestEntry] {
        try Manifest.parse(Data(text.utf8), format: format, path: "m.jsonl", directory: dir)
    }

    private func assertError(_ text: String, _ expected: ManifestError, format: Manifest.Format = .jsonl,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(text, format), file: file, line: line) { error in
            XCTAssertEqual(error as? ManifestError, expected, file: file, line: line)
        }
    }

    func testJSONLinesWithOptionalFieldsBlankLinesCRLFAndBOM() throws {
        let text = "\u{FEFF}{\"image\": \"a/1.png\", \"text\": \"what is it?\", \"label\": \"cat\", \"extra\": 3}\r\n\n"
            + "{\"image\": \"/abs/2.jpg\", \"text\": \"two\", \"group\": \"g\", \"label\": null}\n"
        let entries = try parse(text)
        XCTAssertEqual(entries.count, 2)
        XCTAssertEqual(entries[0], ManifestEntry(line: 1, image: "a/1.png", imageURL: URL(fileURLWithPath: "/data/set/a/1.png"),
                                                 text: "what is it?", label: "cat"))
        XCTAssertEqual(entries[1].line, 3)
        XCTAssertEqual(entries[1].imageURL.path, "/abs/2.jpg")
        XCTAssertNil(entries[1].label)
        XCTAssertEqual(entries[1].group, "g")
    }

    func testAFileReadInChunksOfAnySizeGivesTheSameEntriesAndKey() throws {
        let text = "\u{FEFF}" + #"{"image": "a.png", "text": "where is the red square?", "label": "left"}"# + "\r\n\n"
            + #"{"image": "b/c.png", "text": "é ü, a caption"}"# + "\r\n" + #"{"image": "/abs/d.png", "text": "t", "group": "g"}"#
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-\(UUID().uuidString).jsonl")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let whole = try Manifest.parse(Data(text.utf8), format: .jsonl, path: file.path, directory: file.deletingLastPathComponent())
        XCTAssertEqual(whole.map(\.line), [1, 3, 4])
        for chunkSize in [1, 2, 3, 5, 7, 64, 1 << 20] {
            let streamed = try JSONLinesReader.read(file, chunkSize: chunkSize)
            XCTAssertEqual(streamed.entries, whole, "chunks of \(chunkSize)")
            XCTAssertEqual(streamed.key, FeatureCache.key(Data(text.utf8)), "chunks of \(chunkSize)")
        }
        XCTAssertEqual(try Manifest.load(file).entries, whole)
    }

    func testEveryMalformedJSONLineIsNamed() {
        let good = #"{"image": "1.png", "text": "t"}"#
        assertError(good + "\nnot json", .notJSON(path: "m.jsonl", line: 2, found: "not json"))
        assertError(good + "\n[1, 2]", .notJSON(path: "m.jsonl", line: 2, found: "[1, 2]"))
        assertError(#"{"text": "t"}"#, .missingField(path: "m.jsonl", line: 1, field: "image"))
        assertError("\n" + #"{"image": "1.png"}"#, .missingField(path: "m.jsonl", line: 2, field: "text"))
        assertError(#"{"image": "1.png", "text": "  "}"#, .emptyField(path: "m.jsonl", line: 1, field: "text"))
        assertError(#"{"image": "", "text": "t"}"#, .emptyField(path: "m.jsonl", line: 1, field: "image"))
        assertError(#"{"image": "1.png", "text": 7}"#, .wrongType(path: "m.jsonl", line: 1, field: "text", found: "the number 7"))
        assertError(#"{"image": "1.png", "text": "t", "label": ["a"]}"#, .wrongType(path: "m.jsonl", line: 1, field: "label", found: "an array"))
        assertError("\n\n", .empty(path: "m.jsonl"))
        XCTAssertTrue(ManifestError.notJSON(path: "m.jsonl", line: 2, found: "x").description.hasPrefix("m.jsonl line 2: expected a JSON object"))
        XCTAssertTrue(ManifestError.missingField(path: "m", line: 4, field: "label").description.contains("--task classify needs a \"label\""))
    }

    func testCSVWithQuotesCommasAndLineBreaks() throws {
        let text = "Image,label,text,notes\r\n1.png,cat,\"a cat, sitting\",x\n\"2.png\",dog,\"says \"\"hi\"\"\nover two lines\",\n3.png,,plain,\n"
        let entries = try parse(text, .csv)
        XCTAssertEqual(entries.map(\.line), [2, 3, 5])
        XCTAssertEqual(entries.map(\.text), ["a cat, sitting", "says \"hi\"\nover two lines", "plain"])
        XCTAssertEqual(entries.map(\.label), ["cat", "dog", nil])
        XCTAssertEqual(entries[1].imageURL.path, "/data/set/2.png")
    }

    func testMalformedCSVIsNamed() {
        assertError("image,label\n1.png,a\n", .csvHeader(path: "m.jsonl", found: ["image", "label"], missing: "text"), format: .csv)
        assertError("image,text\n1.png,a,b\n", .csvRecord(path: "m.jsonl", line: 2, reason: "expected 2 fields as in the header, found 3"), format: .csv)
        assertError("image,text\n1.png,a\n2.png,\"never closed\n", .csvRecord(path: "m.jsonl", line: 3, reason: "a quote that is never closed"), format: .csv)
        assertError("image,text\n1.png,\"q\"x\n", .csvRecord(path: "m.jsonl", line: 2, reason: "text after a closing quote"), format: .csv)
        assertError("image,text\n1.png,\n", .emptyField(path: "m.jsonl", line: 2, field: "text"), format: .csv)
    }

    /// Property: any entries written by `Manifest.write` parse back unchanged (random texts with quotes,
    /// unicode, commas, new lines; random optional fields).
    func testWrittenManifestsParseBack() throws {
        var g = RandomGenerator(seed: 7)
        let alphabet = Array("ab c,\"\\\n\té猫🙂{}[]:'")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for trial in 0..<50 {
            func word() -> String { "x" + String((0..<g.int(below: 12)).map { _ in alphabet[g.int(below: alphabet.count)] }) }
            let entries = (0..<(1 + g.int(below: 20))).map { i in
                ManifestEntry(line: i + 1, image: "img/\(word()).png", imageURL: URL(fileURLWithPath: "/"), text: word(),
                              label: g.int(below: 2) == 0 ? nil : word(), group: g.int(below: 3) == 0 ? word() : nil)
            }
            let url = folder.appendingPathComponent("\(trial).jsonl")
            try Manifest.write(entries, to: url)
            let back = try Manifest.load(url).entries
            XCTAssertEqual(back.map(\.text), entries.map(\.text))
            XCTAssertEqual(back.map(\.image), entries.map(\.image))
            XCTAssertEqual(back.map(\.label), entries.map(\.label))
            XCTAssertEqual(back.map(\.group), entries.map(\.group))
            XCTAssertEqual(back.map(\.imageURL), entries.map { folder.appendingPathComponent($0.image).standardizedFileURL })
        }
    }

    func testMutatedManifestsParseOrThrowManifestError() {
        let jsonl = [#"{"image": "a.png", "text": "What is it?", "label": "cat"}"# + "\n" + #"{"image": "b.jpg", "text": "two", "group": "g"}"#]
        let csv = ["image,text,label\na.png,\"x, y\",cat\nb.png,\"say \"\"hi\"\"\",dog\n"]
        for (format, corpus) in [(Manifest.Format.jsonl, jsonl), (.csv, csv)] {
            fuzzParser("manifest.\(format.rawValue)", corpus: corpus.map { Data($0.utf8) }, iterations: 3000, isTyped: { $0 is ManifestError }) {
                _ = try Manifest.parse($0, format: format, path: "m", directory: self.dir)
            }
        }
    }
}
