import Foundation
@testable import Tasks
import TestSupport
import XCTest

/// Seeded mutation fuzzing of the Sort-of-CLEVR `questions.jsonl` and `vocab.json` parsers (a short run;
/// `make fuzz` runs tools/fuzz/targets/questions.swift), image paths that leave the data set, and `generate`
/// into an unwritable place.
final class SortOfCLEVRFilesFuzzTests: XCTestCase {
    private let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../tools/fuzz/seeds/questions").standardized

    func testMutatedQuestionsAndVocabularyParseOrThrowSortOfCLEVRError() {
        let questions = corpusFiles(seeds, suffix: ".jsonl"), vocabulary = corpusFiles(seeds, suffix: ".json")
        XCTAssertEqual(questions.count + vocabulary.count, 2)
        let typed: (Error) -> Bool = { $0 is SortOfCLEVRError }
        fuzzParser("questions.jsonl", corpus: questions, iterations: 2000, isTyped: typed) {
            _ = try SortOfCLEVRFiles.parseQuestions($0, path: "questions.jsonl")
        }
        fuzzParser("vocab.json", corpus: vocabulary, iterations: 2000, isTyped: typed) {
            _ = try SortOfCLEVRFiles.parseVocabulary($0, path: "vocab.json")
        }
    }

    /// An image name from the file is a path inside the data set: `..`, absolute paths and other folders are
    /// refused before any file is opened.
    func testImagePathsOutsideTheSplitAreRefused() throws {
        let line = #"{"answer":"square","answer_id":0,"color":"red","image":"IMAGE","kind":"shape","question":"What is the shape of the red object?","relational":false}"#
        XCTAssertEqual(try SortOfCLEVRFiles.parseQuestions(Data(line.replacingOccurrences(of: "IMAGE", with: "images/000001.png").utf8), path: "q").imageNames,
                       ["images/000001.png"])
        for image in ["../../../etc/passwd", "/etc/passwd", "images/../../x.png", "images/.hidden.png", "scenes.jsonl", "images/a/b.png"] {
            XCTAssertThrowsError(try SortOfCLEVRFiles.parseQuestions(Data(line.replacingOccurrences(of: "IMAGE", with: image).utf8), path: "q")) { error in
                guard case let .invalidDataset(path, reason)? = error as? SortOfCLEVRError else { return XCTFail("\(error)") }
                XCTAssertEqual(path, "q line 1")
                XCTAssertTrue(reason.hasPrefix("image must be a file in the split's images/ folder"), reason)
            }
        }
    }

    func testGenerateIntoAnUnwritablePlaceIsATypedErrorAndLeavesNothing() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("SortOfCLEVRFilesFuzzTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: file)
        XCTAssertThrowsError(try SortOfCLEVRFiles.generate(to: file.appendingPathComponent("data"), train: 1, test: 1)) { error in
            guard case let .unwritable(path, reason)? = error as? SortOfCLEVRError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasPrefix(file.path + "/.tmp-data-"), path)
            XCTAssertEqual(reason, "Not a directory (\(file.path) is a file)")
            XCTAssertTrue("\(error)".hasSuffix("check that the parent directory is writable and has free space"), "\(error)")
        }
        XCTAssertThrowsError(try SortOfCLEVRFiles.generate(to: file, train: 1, test: 1)) { error in
            XCTAssertEqual(error as? SortOfCLEVRError, .outputNotEmpty(path: file.path))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path), ["not-a-directory"])
    }
}
