import Foundation

/// The legacy (non-zip) format of `torch.save(..., _use_new_zipfile_serialization=False)`: five pickles and
/// raw data back to back — the magic number, the protocol version 1001, system info, the main object, the
/// list of storage keys — then, for each key in that order, an 8-byte element count and the raw elements.
enum LegacyCheckpoint {
    /// 0x1950a86a20f9469cfc6c as the little-endian bytes LONG1 pickles.
    static let magic: [UInt8] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]

    static func decode(_ data: Data, entry: String?) throws -> TorchCheckpoint.DecodedFile {
        try data.withUnsafeBytes { bytes in
            let magicEnd = try Pickle.load(bytes) { result in
                guard case let .bigInt(m) = result.value, m == magic else {
                    throw TorchFileError.notACheckpoint(reason: "the first pickle is not torch's magic number 0x1950a86a20f9469cfc6c")
                }
                return result.end
            }
            let protoEnd = try Pickle.load(bytes, from: magicEnd) { result in
                guard case .int(1001) = result.value else {
                    throw TorchFileError.notACheckpoint(reason: "legacy protocol version is not 1001")
                }
                return result.end
            }
            let infoEnd = try Pickle.load(bytes, from: protoEnd) { result in
                if case let .dict(d) = result.value, case .bool(false)? = d.values["little_endian"] {
                    throw TorchFileError.unsupportedByteOrder("big")
                }
                return result.end
            }
            let (tensors, refs, mainEnd) = try Pickle.load(bytes, from: infoEnd) {
                (try TorchCheckpoint.tensors(in: $0, entry: entry), $0.storages, $0.end)
            }
            let (keys, keysEnd) = try Pickle.load(bytes, from: mainEnd) { result in
                guard case let .list(list) = result.value else {
                    throw TorchFileError.malformed(reason: "the storage key list is not a list", offset: mainEnd)
                }
                return (list.items, result.end)
            }
            var storages: [String: (dtype: TorchDType, bytes: Data)] = [:]
            var pos = keysEnd
            for item in keys {
                guard case let .string(key) = item, let ref = refs[key], storages[key] == nil else {
                    throw TorchFileError.malformed(reason: "storage key list names an unknown or repeated storage", offset: mainEnd)
                }
                guard bytes.count - pos >= 8 else { throw TorchFileError.truncated(offset: pos) }
                let count = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: pos, as: Int64.self))
                guard count >= 0 else { throw TorchFileError.malformed(reason: "storage '\(key)' has \(count) elements", offset: pos) }
                let available = bytes.count - pos - 8
                let (claimed, overflow) = UInt64(count).multipliedReportingOverflow(by: UInt64(ref.dtype.size))
                guard !overflow, claimed <= UInt64(available) else {
                    throw TorchFileError.lengthTooLarge(claimed: overflow ? .max : claimed, available: available, offset: pos)
                }
                let size = Int(claimed)
                storages[key] = (ref.dtype, data[data.startIndex + pos + 8 ..< data.startIndex + pos + 8 + size])
                pos += 8 + size
            }
            return .init(tensors: tensors, storages: storages)
        }
    }
}
