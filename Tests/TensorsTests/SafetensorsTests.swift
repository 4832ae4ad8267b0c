import Foundation
import Tensors
import TestSupport
import XCTest

/// The safetensors reader and writer: bit-exact F32 round trips, files written by the Python `safetensors`
/// package (tools/fixtures/fx_safetensors.py) in every dtype, and every malformed file refused with the
/// right `SafetensorsError`.
final class SafetensorsTests: XCTestCase {
    /// Safetensors bytes with `header` verbatim (its length as the 8-byte prefix) followed by `payload`.
    private func file(_ header: String, payload: [UInt8] = [], claimedLength: UInt64? = nil) -> Data {
        var d = Data()
        withUnsafeBytes(of: (claimedLength ?? UInt64(header.utf8.count)).littleEndian) { d.append(contentsOf: $0) }
        d.append(contentsOf: Array(header.utf8))
        d.append(contentsOf: payload)
        return d
    }

    private func assertThrows(
        _ data: Data, _ expected: SafetensorsError, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try Safetensors.parse(data), file: file, line: line) { error in
            XCTAssertEqual(error as? SafetensorsError, expected, file: file, line: line)
        }
    }

    private func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("SafetensorsTests-\(getpid())-\(name)")
    }

    func testF32RoundTripIsBitExactWithMetadata() throws {
        let specials: [Float] = [0, -0.0, 1, -1.5, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                                 Float(bitPattern: 0x7FC0_1234), .ulpOfOne, 3.1415927, -1e-30]
        var rng = RandomGenerator(seed: 3)
        let tensors: [String: Tensor] = [
            "specials": Tensor(shape: [3, 4], specials),
            "random.weight": Tensor.randn([2, 3, 5], using: &rng),
            "scalar": Tensor(7.25),
            "empty": Tensor(zeros: [0, 4]),
            "quote\"and\\slash é": Tensor(shape: [1], [42]),
        ]
        let metadata = ["format": "pt", "note": "line\nbreak \"quoted\" ünïcode"]
        let url = temporaryURL("roundtrip.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Safetensors.write(tensors, to: url, metadata: metadata)
        let (read, readMetadata) = try Safetensors.readWithMetadata(url)
        XCTAssertEqual(readMetadata, metadata)
        XCTAssertEqual(Set(read.keys), Set(tensors.keys))
        for (key, t) in tensors {
            XCTAssertEqual(read[key]?.shape, t.shape, key)
            XCTAssertEqual(read[key]?.scalars.map(\.bitPattern), t.scalars.map(\.bitPattern), key)
        }
        let bytes = try Data(contentsOf: url)
        XCTAssertEqual(bytes, Safetensors.encode(tensors, metadata: metadata), "write is encode")
        XCTAssertEqual(Safetensors.encode(tensors, metadata: metadata), Safetensors.encode(tensors, metadata: metadata), "deterministic")
        let headerLength = bytes.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        XCTAssertEqual(headerLength % 8, 0, "header padded to 8 bytes so the data is aligned")
    }

    func testParsesADataSlice() throws {
        let bytes = Safetensors.encode(["a": Tensor(shape: [2], [1, 2])])
        let slice = (Data([9, 9, 9]) + bytes).dropFirst(3)
        XCTAssertEqual(try Safetensors.parse(slice).tensors["a"]?.scalars, [1, 2])
    }

    func testReadsEveryDTypeWrittenByPython() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let (tensors, metadata) = try Safetensors.readWithMetadata(dir.appendingPathComponent("safetensors_dtypes.safetensors"))
        XCTAssertEqual(metadata, ["format": "pt", "written_by": "fx_safetensors.py"])
        let names = ["f16", "bf16", "f64", "i64", "i32", "u8", "bool", "scalar", "empty"]
        XCTAssertEqual(Set(tensors.keys), Set(names + names.map { "\($0)_expected" }))
        for name in names {
            let (got, want) = (tensors.tensor(name), tensors.tensor("\(name)_expected"))
            XCTAssertEqual(got.shape, want.shape, name)
            XCTAssertEqual(got.scalars.map(\.bitPattern), want.scalars.map(\.bitPattern), "\(name): \(got.scalars) vs \(want.scalars)")
        }
        XCTAssertEqual(tensors.tensor("f16").scalars[4], 65504)
        XCTAssertEqual(tensors.tensor("u8").scalars.last, 222)
        XCTAssertEqual(tensors.tensor("scalar").shape, [])
    }

    func testTooShortFile() throws {
        assertThrows(Data([1, 2, 3]), .truncated(path: "<memory>", size: 3))
        assertThrows(Data(), .truncated(path: "<memory>", size: 0))
        let url = temporaryURL("short.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data([0, 0, 0, 0, 0]).write(to: url)
        XCTAssertThrowsError(try Safetensors.read(url)) { error in
            XCTAssertEqual(error as? SafetensorsError, .truncated(path: url.path, size: 5))
            XCTAssertTrue("\(error)".contains("too short"), "\(error)")
        }
    }

    func testMissingFileIsUnreadable() {
        let url = temporaryURL("does-not-exist.safetensors")
        XCTAssertThrowsError(try Safetensors.read(url)) { error in
            guard case let .unreadable(path, _) = error as? SafetensorsError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, url.path)
        }
    }

    func testHeaderLengthBeyondTheFileIsRefusedBeforeAllocating() {
        let header = "{}      "
        assertThrows(file(header, claimedLength: 1 << 42), .headerTooLarge(path: "<memory>", claimed: 1 << 42, fileSize: 16))
        assertThrows(file(header, claimedLength: .max), .headerTooLarge(path: "<memory>", claimed: .max, fileSize: 16))
        assertThrows(file(header, claimedLength: 9), .headerTooLarge(path: "<memory>", claimed: 9, fileSize: 16))
    }

    func testHeaderThatIsNotAJSONObject() {
        assertThrows(file("not json"), .malformedHeader(path: "<memory>", reason: "header is not valid JSON"))
        assertThrows(file(""), .malformedHeader(path: "<memory>", reason: "header is not valid JSON"))
        assertThrows(file("[1, 2]"), .malformedHeader(path: "<memory>", reason: "header is not a JSON object"))
        assertThrows(file(#"{"__metadata__":{"n":1}}"#),
                     .malformedHeader(path: "<memory>", reason: "__metadata__ must map strings to strings"))
    }

    func testEntryMissingFields() {
        let reason = "entry 'a' needs dtype, shape and data_offsets"
        for entry in [#"{"shape":[1],"data_offsets":[0,4]}"#, #"{"dtype":"F32","data_offsets":[0,4]}"#,
                      #"{"dtype":"F32","shape":[1]}"#, #"{"dtype":4,"shape":[1],"data_offsets":[0,4]}"#, "7"] {
            assertThrows(file(#"{"a":\#(entry)}"#, payload: [0, 0, 0, 0]), .malformedHeader(path: "<memory>", reason: reason))
        }
    }

    func testBadShapesAndOffsetLists() {
        let reason = "entry 'a' has a bad shape or data_offsets"
        for (shape, offsets) in [("[-1,2]", "[0,4]"), ("[2.5]", "[0,8]"), ("[\"2\"]", "[0,8]"), ("[1]", "[0]"),
                                 ("[1]", "[0,4,8]"), ("[1]", "[0,4.5]"), ("[1e30]", "[0,4]")] {
            assertThrows(file(#"{"a":{"dtype":"F32","shape":\#(shape),"data_offsets":\#(offsets)}}"#, payload: [0, 0, 0, 0]),
                         .malformedHeader(path: "<memory>", reason: reason))
        }
    }

    func testShapeWhoseByteCountOverflows() {
        assertThrows(file(#"{"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}}"#, payload: Array(repeating: 0, count: 8)),
                     .malformedHeader(path: "<memory>", reason: "entry 'a' shape [4611686018427387904] overflows"))
        assertThrows(file(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, payload: Array(repeating: 0, count: 8)),
                     .malformedHeader(path: "<memory>", reason: "entry 'a' shape [4294967296, 4294967296] overflows"))
    }

    func testUnknownDType() {
        assertThrows(file(#"{"a":{"dtype":"Q4_K","shape":[1],"data_offsets":[0,1]}}"#, payload: [0]),
                     .unsupportedDType(path: "<memory>", tensor: "a", dtype: "Q4_K"))
    }

    func testOffsetsPastTheEnd() {
        assertThrows(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, payload: [0, 0, 0, 0]),
                     .badOffsets(path: "<memory>", tensor: "a", begin: 0, end: 8, expectedBytes: 8, payload: 4))
        assertThrows(file(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[9223372036854775806,9223372036854775807]}}"#, payload: [0]),
                     .badOffsets(path: "<memory>", tensor: "a", begin: .max - 1, end: .max, expectedBytes: 1, payload: 1))
    }

    func testOffsetsThatDoNotMatchTheShape() {
        let payload = [UInt8](repeating: 0, count: 16)
        assertThrows(file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, payload: payload),
                     .badOffsets(path: "<memory>", tensor: "a", begin: 0, end: 8, expectedBytes: 12, payload: 16))
        assertThrows(file(#"{"a":{"dtype":"BF16","shape":[2],"data_offsets":[8,4]}}"#, payload: payload),
                     .badOffsets(path: "<memory>", tensor: "a", begin: 8, end: 4, expectedBytes: 4, payload: 16))
        assertThrows(file(#"{"a":{"dtype":"I64","shape":[1],"data_offsets":[-8,0]}}"#, payload: payload),
                     .badOffsets(path: "<memory>", tensor: "a", begin: -8, end: 0, expectedBytes: 8, payload: 16))
    }

    func testErrorDescriptionsSayWhatToDo() {
        let e = SafetensorsError.badOffsets(path: "m.safetensors", tensor: "w", begin: 0, end: 8, expectedBytes: 12, payload: 16)
        XCTAssertTrue(e.description.contains("m.safetensors") && e.description.contains("'w'") && e.description.contains("12 bytes"), e.description)
        let d = SafetensorsError.unsupportedDType(path: "m", tensor: "w", dtype: "Q4_K").description
        XCTAssertTrue(d.contains("Q4_K") && d.contains("supported are"), d)
    }
}
