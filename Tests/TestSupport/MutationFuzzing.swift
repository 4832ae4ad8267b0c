import Foundation
import Tensors
import XCTest

/// Seeded random mutations of valid files, the in-suite counterpart of the libFuzzer targets in tools/fuzz
/// (which `make fuzz` runs for many more iterations): libFuzzer's mutation kinds (bit flips, random and
/// boundary bytes and integers, erased, duplicated and inserted ranges, truncation, splicing two inputs).
public struct ByteMutator {
    private var rng: RandomGenerator
    private let corpus: [[UInt8]]

    public init(seed: UInt64, corpus: [Data]) {
        precondition(!corpus.isEmpty, "ByteMutator: needs at least one seed input")
        rng = RandomGenerator(seed: seed)
        self.corpus = corpus.map { [UInt8]($0) }
    }

    /// A corpus entry with 1–8 mutations applied.
    public mutating func next() -> Data {
        var bytes = corpus[rng.int(below: corpus.count)]
        for _ in 0...rng.int(below: 8) { mutate(&bytes) }
        return Data(bytes)
    }

    private mutating func position(in bytes: [UInt8]) -> Int { bytes.isEmpty ? 0 : rng.int(below: bytes.count) }

    private mutating func mutate(_ bytes: inout [UInt8]) {
        let interesting: [UInt64] = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, 1 << 40, .max, .max / 2]
        switch rng.int(below: 9) {
        case 0 where !bytes.isEmpty:
            bytes[position(in: bytes)] ^= UInt8(1) << UInt8(rng.int(below: 8))
        case 1 where !bytes.isEmpty:
            bytes[position(in: bytes)] = UInt8(truncatingIfNeeded: rng.next())
        case 2 where !bytes.isEmpty:
            let value = interesting[rng.int(below: interesting.count)], width = [1, 2, 4, 8][rng.int(below: 4)]
            let at = position(in: bytes)
            for k in 0..<min(width, bytes.count - at) { bytes[at + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
        case 3 where !bytes.isEmpty:
            let at = position(in: bytes)
            bytes.removeSubrange(at..<min(bytes.count, at + 1 + rng.int(below: 64)))
        case 4 where !bytes.isEmpty:
            let at = position(in: bytes), end = min(bytes.count, at + 1 + rng.int(below: 256))
            bytes.insert(contentsOf: bytes[at..<end], at: position(in: bytes))
        case 5:
            let count = 1 + rng.int(below: 16)
            bytes.insert(contentsOf: (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: position(in: bytes))
        case 6:
            bytes = Array(bytes.prefix(position(in: bytes)))
        case 7:
            let other = corpus[rng.int(below: corpus.count)]
            bytes = Array(bytes.prefix(position(in: bytes))) + other.suffix(from: other.isEmpty ? 0 : rng.int(below: other.count))
        default:
            let digits = Array("0123456789-.e+ \n:[]{}\",".utf8)
            if !bytes.isEmpty { bytes[position(in: bytes)] = digits[rng.int(below: digits.count)] }
        }
    }
}

/// Runs `parse` on `iterations` mutations of `corpus` (seeded): every input must parse or throw an error that
/// `isTyped` accepts; anything else fails the test, naming the input as hex. A crash would stop the suite.
/// Returns how many inputs parsed and how many were rejected.
@discardableResult
public func fuzzParser(
    _ name: String, corpus: [Data], iterations: Int, seed: UInt64 = 1,
    isTyped: (Error) -> Bool, parse: (Data) throws -> Void, file: StaticString = #filePath, line: UInt = #line
) -> (parsed: Int, rejected: Int) {
    var mutator = ByteMutator(seed: seed, corpus: corpus)
    var parsed = 0, rejected = 0
    for corpusInput in corpus {
        XCTAssertNoThrow(try parse(corpusInput), "\(name): a seed input must parse", file: file, line: line)
    }
    for _ in 0..<iterations {
        let input = mutator.next()
        do {
            try parse(input)
            parsed += 1
        } catch where isTyped(error) {
            rejected += 1
        } catch {
            XCTFail("\(name): untyped error \(error) for input \(input.prefix(256).map { String(format: "%02x", $0) }.joined())",
                    file: file, line: line)
            break
        }
    }
    print("fuzz \(name): \(iterations) mutated inputs, \(parsed) parsed, \(rejected) rejected with a typed error")
    return (parsed, rejected)
}

/// The files directly in `directory` whose names end with `suffix`, smallest first, at most `limit` of them.
public func corpusFiles(_ directory: URL, suffix: String, limit: Int = 12) -> [Data] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.filter { $0.hasSuffix(suffix) }.sorted()
        .compactMap { FileManager.default.contents(atPath: directory.appendingPathComponent($0).path) }
        .sorted { $0.count < $1.count }.prefix(limit).map { $0 }
}
