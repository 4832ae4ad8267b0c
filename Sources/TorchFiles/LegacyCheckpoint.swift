import Foundation

/// The legacy (non-zip) format of `torch.save(..., _use_new_zipfile_serialization=False)`: five pickles and
/// raw data back to back — the magic number, the protocol version 1001, system info, the main object, the
/// list of storage keys — then, for each key in that order, an 8-byte element count and the raw elements.
enum LegacyCheckpoint {
    /// 0x1950a86a20f9469cfc6c as the little-endian bytes LONG1 pickles.
    static let magic: [UInt8] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]

    static func decode(_ data: Data) throws -> TorchCheckpoint.DecodedFile {
        try data.withUnsafeBytes { bytes in
            let magicNumber = try Pickle.load(bytes)
            guard case let .bigInt(m) = magicNumber.value, m == magic else {
                throw TorchFileError.notACheckpoint(reason: "the first pickle is not torch's magic number 0x1950a86a20f9469cfc6c")
            }
            let proto = try Pickle.load(bytes, from: magicNumber.end)
            guard case .int(1001) = proto.value else {
                throw TorchFileError.notACheckpoint(reason: "legacy protocol version is not 1001")
            }
            let info = try Pickle.load(bytes, from: proto.end)
            if case let .dict(d) = info.value, case .bool(false)? = d.values["little_endian"] {
                throw TorchFileError.unsupportedByteOrder("big")
            }
            let main = try Pickle.load(bytes, from: info.end)
            let keyList = try Pickle.load(bytes, from: main.end)
            guard case let .list(keys) = keyList.value else {
                throw TorchFileError.malformed(reason: "the storage key list is not a list", offset: main.end)
            }
            var storages: [String: (dtype: TorchDType, bytes: Data)] = [:]
            var pos = keyList.end
            for item in keys.items {
                guard case let .string(key) = item, let ref = main.storages[key], storages[key] == nil else {
                    throw TorchFileError.malformed(reason: "storage key list names an unknown or repeated storage", offset: keyList.end)
                }
                guard bytes.count - pos >= 8 else { throw TorchFileError.truncated(offset: pos) }
                let count = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: pos, as: Int64.self))
                let available = bytes.count - pos - 8
                let (size, overflow) = Int(clamping: count).multipliedReportingOverflow(by: ref.dtype.size)
                guard count >= 0, !overflow, size <= available else {
                    throw TorchFileError.lengthTooLarge(claimed: UInt64(bitPattern: count), available: available, offset: pos)
                }
                storages[key] = (ref.dtype, data[data.startIndex + pos + 8 ..< data.startIndex + pos + 8 + size])
                pos += 8 + size
            }
            let steps = main.steps
            return .init(root: main.value, storages: storages, steps: steps)
        }
    }
}
