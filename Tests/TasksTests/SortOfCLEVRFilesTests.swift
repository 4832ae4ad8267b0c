import Foundation
import Imaging
import OwnData
import Tasks
import XCTest

/// `sort-of-clevr generate`: the files hold the very examples the in-memory source generates, are replaced
/// atomically, and an unwritable place or a foreign directory is a typed error that leaves nothing behind.
final class SortOfCLEVRFilesTests: XCTestCase {
    func testGeneratedFilesHoldTheSourcesExamples() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("SortOfCLEVRFilesTests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("data")
        var reported: [String] = []
        try SortOfCLEVRFiles.generate(to: out, train: 5, test: 3, seed: 11) { split, done, total in
            reported.append("\(split.rawValue) \(done)/\(total)")
        }
        XCTAssertEqual(reported.last, "test 3/3")
        XCTAssertTrue(reported.contains("train 5/5"))
        for (split, count) in [(SortOfCLEVR.Split.train, 5), (.test, 3)] {
            let files = try Manifest.load(out.appendingPathComponent("\(split.rawValue)/\(SortOfCLEVRFiles.manifestFile)"))
            let memory = SortOfCLEVRSource.manifest(split, count: count, seed: 11)
            XCTAssertEqual(files.entries.count, 20 * count)
            XCTAssertEqual(files.entries.map(\.text), memory.entries.map(\.text))
            XCTAssertEqual(files.entries.map(\.label), memory.entries.map(\.label))
            XCTAssertEqual(files.entries.map(\.group), memory.entries.map(\.group))
            XCTAssertEqual(files.entries.map(\.image), memory.entries.map(\.image))
            for e in [files.entries[0], files.entries.last!] {
                let same = memory.entries.first { $0.image == e.image }!
                XCTAssertEqual(try PNG.read(e.imageURL), same.pixels, "\(split) PNGs decode to the rendered images")
            }
        }
        let firstLine = try String(contentsOf: out.appendingPathComponent("train/scenes.jsonl"), encoding: .utf8)
            .split(separator: "\n")[0]
        let record = try JSONSerialization.jsonObject(with: Data(firstLine.utf8)) as! [String: Any]
        XCTAssertEqual(Set(record.keys), ["image", "scene"])
        XCTAssertEqual(record["image"] as? String, "images/000000.png")
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent(SortOfCLEVRFiles.labelsFile), encoding: .utf8)
            .split(separator: "\n").map(String.init), SortOfCLEVRSource.labels)

        // Regenerating replaces the data set; no temporary directory is left behind.
        try SortOfCLEVRFiles.generate(to: out, train: 2, test: 1, seed: 12)
        XCTAssertEqual(try Manifest.load(out.appendingPathComponent("train/manifest.jsonl")).entries.count, 40)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path), ["data"])

        // A directory holding something else is refused, untouched.
        let other = root.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: other.appendingPathComponent("notes.txt"))
        XCTAssertThrowsError(try SortOfCLEVRFiles.generate(to: other, train: 1, test: 1)) { error in
            XCTAssertEqual(error as? SortOfCLEVRError, .outputNotEmpty(path: other.path))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: other.path), ["notes.txt"])
    }

    func testGenerateIntoAnUnwritablePlaceIsATypedErrorAndLeavesNothing() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("SortOfCLEVRFilesTests-\(UUID().uuidString)")
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
