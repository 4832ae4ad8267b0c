import Foundation
import Tensors
import TestSupport
import TorchFiles
import XCTest

/// Checkpoints written by `tools/fixtures/fx_torch_files.py`: torch.save in both formats must give exactly
/// the values torch reads, and every broken or malicious file must fail with the right typed error.
final class TorchCheckpointTests: XCTestCase {
    private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    private func url(_ name: String) -> URL { fixtures.appendingPathComponent(name) }

    /// Same keys, shapes and bit-identical values (so -0, inf and the F16/BF16 roundings count).
    private func assertExact(_ got: [String: Tensor], _ expected: [String: Tensor], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.keys.sorted(), expected.keys.sorted(), file: file, line: line)
        for (key, e) in expected {
            guard let g = got[key] else { continue }
            XCTAssertEqual(g.shape, e.shape, key, file: file, line: line)
            XCTAssertEqual(g.scalars.map(\.bitPattern), e.scalars.map(\.bitPattern), key, file: file, line: line)
        }
    }

    private func assertThrows(_ name: String, _ expected: TorchFileError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try TorchCheckpoint.load(url(name)), name, file: file, line: line) { error in
            XCTAssertEqual(error as? TorchFileError, expected, "\(error)", file: file, line: line)
        }
    }

    private func error(_ name: String) -> TorchFileError? {
        do {
            _ = try TorchCheckpoint.load(url(name))
            return nil
        } catch {
            return error as? TorchFileError
        }
    }

    func testZipFormatMatchesTorch() throws {
        assertExact(try TorchCheckpoint.load(url("state_zip.pt")), try Fixture.load("state_expected"))
    }

    func testPickleProtocol4MatchesTorch() throws {
        assertExact(try TorchCheckpoint.load(url("state_zip_p4.pt")), try Fixture.load("state_expected"))
    }

    func testLegacyFormatMatchesTorch() throws {
        assertExact(try TorchCheckpoint.load(url("state_legacy.pt")), try Fixture.load("state_expected"))
    }

    func testAnyArchivePrefixAndInMemoryData() throws {
        let data = try Data(contentsOf: url("renamed_zip.pt"))
        assertExact(try TorchCheckpoint.load(data: data), try Fixture.load("state_expected"))
    }

    func testTiedTensorIsSharedAndViewsAreContiguousCopies() throws {
        let sd = try TorchCheckpoint.load(url("state_zip.pt"))
        XCTAssertTrue(sd["decoder.weight"] === sd["encoder.layer.0.weight"])
        XCTAssertEqual(sd["encoder.layer.1.weight_t"]?.shape, [6, 4])
        XCTAssertEqual(sd["expanded"]?.scalars, [0, 1, 2, 0, 1, 2])
        XCTAssertEqual(sd["scalar"]?.shape, [])
        XCTAssertEqual(sd["empty"]?.shape, [0, 3])
        XCTAssertNil(sd["step"], "non-tensor leaves are dropped")
    }

    func testNestedCheckpointFlattensToDottedKeys() throws {
        let expected = try Fixture.load("nested_expected")
        XCTAssertTrue(expected.keys.contains("model.1.num_batches_tracked"))
        assertExact(try TorchCheckpoint.load(url("nested_zip.pt")), expected)
        assertExact(try TorchCheckpoint.load(url("nested_legacy.pt")), expected)
    }

    func testEntrySelectsATopLevelDict() throws {
        var model: [String: Tensor] = [:]
        for (k, v) in try Fixture.load("nested_expected") where k.hasPrefix("model.") { model[String(k.dropFirst(6))] = v }
        assertExact(try TorchCheckpoint.load(url("nested_legacy.pt"), entry: "model"), model)
        XCTAssertThrowsError(try TorchCheckpoint.load(url("nested_zip.pt"), entry: "state_dict")) { error in
            XCTAssertEqual(error as? TorchFileError, .missingEntry(name: "state_dict", available: ["model", "epoch", "optimizer"]))
        }
    }

    func testUnknownGlobalsAreRefused() {
        assertThrows("evil_global.pt", .forbiddenGlobal(module: "os", name: "system"))
        assertThrows("evil_eval_legacy.pt", .forbiddenGlobal(module: "builtins", name: "eval"))
        XCTAssertTrue(TorchFileError.forbiddenGlobal(module: "os", name: "system").description.contains("os.system"))
    }

    func testUnsupportedOpcodeIsRefused() {
        assertThrows("bad_opcode.pt", .unsupportedOpcode(byte: 0x69, offset: 10))
    }

    func testTruncatedFiles() throws {
        let size = try Data(contentsOf: url("truncated_pickle.pt")).count
        assertThrows("truncated_pickle.pt", .truncated(offset: size))
        guard case let .lengthTooLarge(claimed, available, _)? = error("truncated_storage.pt") else {
            return XCTFail("truncated_storage.pt: \(String(describing: error("truncated_storage.pt")))")
        }
        XCTAssertEqual(Int(claimed) - 3, available, "the last storage is 3 bytes short")
        guard case .badArchive? = error("truncated_zip.pt") else { return XCTFail("truncated_zip.pt: \(String(describing: error("truncated_zip.pt")))") }
    }

    func testMissingRecordAndShortStorage() {
        assertThrows("missing_pkl.pt", .missingRecord("state_zip/data.pkl"))
        assertThrows("short_storage.pt", .storageTooSmall(tensor: "encoder.layer.0.weight", storage: "0", needed: 12, available: 6))
    }

    func testHugeClaimsAreRefusedBeforeAllocating() {
        assertThrows("huge_string.pt", .lengthTooLarge(claimed: 1 << 42, available: 3, offset: 2))
        guard case .lengthTooLarge(4 << 40, _, _)? = error("huge_storage_legacy.pt") else {
            return XCTFail("huge_storage_legacy.pt: \(String(describing: error("huge_storage_legacy.pt")))")
        }
        assertThrows("huge_shape.pt", .storageTooSmall(tensor: "t", storage: "0", needed: 1 << 60, available: 4))
        assertThrows("huge_broadcast.pt", .tooManyElements(requested: 1 << 30, budget: 16 + (1 << 20)))
    }

    func testNonCheckpointBytes() {
        XCTAssertThrowsError(try TorchCheckpoint.load(data: Data("hello".utf8))) { error in
            guard case .notACheckpoint? = error as? TorchFileError else { return XCTFail("\(error)") }
        }
        // A pickle that is not torch's magic number.
        XCTAssertThrowsError(try TorchCheckpoint.load(data: Data([0x80, 0x02, 0x4b, 0x07, 0x2e]))) { error in
            guard case .notACheckpoint? = error as? TorchFileError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try TorchCheckpoint.load(url("absent.pt"))) { error in
            guard case .unreadable? = error as? TorchFileError else { return XCTFail("\(error)") }
        }
    }

    /// The real EfficientNet-Lite0 checkpoint (legacy format), when `tools/fetch-efficientnet.sh` has put it
    /// into the model cache.
    func testEfficientNetLite0Checkpoint() throws {
        let cache = ProcessInfo.processInfo.environment["CROSSMODAL_CACHE"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/crossmodal").path
        let path = URL(fileURLWithPath: cache).appendingPathComponent("models/efficientnet-lite0/efficientnet-lite0-57934424.pth")
        guard FileManager.default.fileExists(atPath: path.path) else {
            throw XCTSkip("\(path.path) is absent; run tools/fetch-efficientnet.sh")
        }
        let start = Date()
        let sd = try TorchCheckpoint.load(path)
        let seconds = Date().timeIntervalSince(start)
        let elements = sd.values.reduce(0) { $0 + $1.count }
        let parameters = sd.filter { !$0.key.contains("running_") && !$0.key.hasSuffix("num_batches_tracked") }
            .values.reduce(0) { $0 + $1.count }
        print("EfficientNet-Lite0: \(sd.count) tensors, \(elements) elements (\(parameters) in parameters), loaded in \(String(format: "%.3f", seconds)) s")
        // 4.69M elements in all (torch: sum of numel over the state_dict); 4.65M of them trainable parameters.
        XCTAssertEqual(sd.count, 296)
        XCTAssertEqual(elements, 4_694_073)
        XCTAssertEqual(parameters, 4_652_008)
        XCTAssertEqual(sd["_conv_stem.weight"]?.shape, [32, 3, 3, 3])
        XCTAssertEqual(sd["_fc.weight"]?.shape, [1000, 1280])
        XCTAssertEqual(sd["_conv_head.weight"]?.shape, [1280, 320, 1, 1])
        XCTAssertNotNil(sd["_blocks.0._depthwise_conv.weight"])
    }
}
