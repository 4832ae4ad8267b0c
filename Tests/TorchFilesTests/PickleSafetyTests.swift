import Foundation
import TorchFiles
import XCTest

/// Hostile main pickles built in memory behind a valid legacy header: deep nesting and exponential sharing
/// must fail with a typed error, not exhaust the stack or run forever.
final class PickleSafetyTests: XCTestCase {
    /// The magic number, protocol and system-info pickles of a legacy checkpoint.
    private func legacyHeader() throws -> Data {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/evil_eval_legacy.pt")
        let data = try Data(contentsOf: url)
        let main = try XCTUnwrap(data.lastRange(of: Data([0x80, 0x04])))
        return data[..<main.lowerBound]
    }

    private func loadMain(_ pickle: [UInt8]) throws -> TorchFileError? {
        do {
            _ = try TorchCheckpoint.load(data: try legacyHeader() + Data(pickle))
            return nil
        } catch let error as TorchFileError {
            return error
        }
    }

    private func binget(_ index: Int) -> [UInt8] { [0x6a] + withUnsafeBytes(of: UInt32(index).littleEndian, Array.init) }

    func testDeeplyNestedTuplesAreRefused() throws {
        let depth = 1_000_000
        let pickle: [UInt8] = [0x80, 0x02, 0x4e] + [UInt8](repeating: 0x85, count: depth) + [0x2e]
        guard case let .malformed(reason, offset)? = try loadMain(pickle) else { return XCTFail("expected malformed") }
        XCTAssertTrue(reason.contains("tuples nest deeper than 100"), reason)
        XCTAssertEqual(offset, try legacyHeader().count + 3 + 100)
    }

    /// Lists nested 200,000 deep by appending to a memoised inner list: refused when flattened, and torn
    /// down without recursing once per level (which overflows the stack).
    func testDeeplyNestedListsAreRefusedAndReleased() throws {
        var pickle: [UInt8] = [0x80, 0x04, 0x5d, 0x94]  // L0, memo 0
        // L(k-1).append(Lk), then keep only Lk, through memo slot 1 (so only parents hold the chain).
        for _ in 1...200_000 { pickle += [0x5d, 0x72, 1, 0, 0, 0, 0x61, 0x30] + binget(1) }
        pickle += [0x30] + binget(0) + [0x2e]
        guard case let .malformed(reason, _)? = try loadMain(pickle) else { return XCTFail("expected malformed") }
        XCTAssertTrue(reason.contains("deeper than 64"), reason)
    }

    /// L(k) = [L(k-1), L(k-1)] for 60 levels: 2^60 paths to walk, refused by the walk's budget.
    func testExponentialSharingIsRefused() throws {
        var pickle: [UInt8] = [0x80, 0x04, 0x5d, 0x94]
        for k in 1...60 { pickle += [0x5d, 0x94, 0x28] + binget(k - 1) + binget(k - 1) + [0x65] }
        pickle += [0x2e]
        guard case let .malformed(reason, _)? = try loadMain(pickle) else { return XCTFail("expected malformed") }
        XCTAssertTrue(reason.contains("refer to themselves"), reason)
    }

    func testNonTensorPickleGivesNoTensorsAndStackUnderflowIsTyped() throws {
        // {"a": [5]} (the list memoised, stored, then filled), then an empty storage key list.
        let main: [UInt8] = [0x80, 0x02, 0x7d, 0x58, 1, 0, 0, 0, 0x61, 0x5d, 0x71, 1, 0x73, 0x68, 1, 0x4b, 5, 0x61, 0x30, 0x2e]
        XCTAssertEqual(try TorchCheckpoint.load(data: try legacyHeader() + Data(main + [0x80, 0x02, 0x5d, 0x2e])).count, 0)
        guard case .malformed(let reason, _)? = try loadMain([0x80, 0x02, 0x73, 0x2e]) else { return XCTFail("expected malformed") }
        XCTAssertTrue(reason.contains("underflow"), reason)
    }
}
