import Foundation
import ZIPFoundation

/// The zip format of `torch.save` (PyTorch ≥ 1.6): `<archive>/data.pkl`, `<archive>/byteorder` and one
/// `<archive>/data/<key>` record of raw little-endian elements per storage; `<archive>` is any name.
enum ZipCheckpoint {
    /// Decodes the archive `data`, read by ZIPFoundation from `file` (its source) or, for in-memory bytes, from
    /// a temporary copy: ZIPFoundation's in-memory archives trap on offsets past the end of the data (fuzzing
    /// found it), its file-backed ones read them as a short read.
    static func decode(_ data: Data, file: URL?, entry: String?) throws -> TorchCheckpoint.DecodedFile {
        try validateDirectory(data)
        guard let file else {
            let copy = FileManager.default.temporaryDirectory.appendingPathComponent("crossmodal-\(UUID().uuidString).pt")
            do {
                try data.write(to: copy)
            } catch {
                throw TorchFileError.unreadable(path: copy.path, reason: "cannot stage the in-memory zip archive: \(error.localizedDescription)")
            }
            defer { try? FileManager.default.removeItem(at: copy) }
            return try decode(data, file: copy, entry: entry)
        }
        let archive: Archive
        do {
            archive = try Archive(url: file, accessMode: .read)
        } catch {
            throw TorchFileError.badArchive(reason: "\(error)")
        }
        var entries: [String: Entry] = [:]
        var first: String?
        for entry in archive {
            entries[entry.path] = entry
            if first == nil { first = entry.path }
        }
        let prefix = first.flatMap { $0.split(separator: "/", maxSplits: 1).first.map(String.init) } ?? "archive"
        guard let pklEntry = entries["\(prefix)/data.pkl"] else { throw TorchFileError.missingRecord("\(prefix)/data.pkl") }
        if let orderEntry = entries["\(prefix)/byteorder"] {
            let order = String(decoding: try read(orderEntry, from: archive, fileSize: data.count), as: UTF8.self)
            guard order == "little" else { throw TorchFileError.unsupportedByteOrder(order) }
        }
        let pkl = try read(pklEntry, from: archive, fileSize: data.count)
        let (tensors, refs) = try pkl.withUnsafeBytes { bytes in
            try Pickle.load(bytes) { (try TorchCheckpoint.tensors(in: $0, entry: entry), $0.storages) }
        }
        var storages: [String: (dtype: TorchDType, bytes: Data)] = [:]
        for (key, ref) in refs {
            guard let entry = entries["\(prefix)/data/\(key)"] else { throw TorchFileError.missingRecord("\(prefix)/data/\(key)") }
            storages[key] = (ref.dtype, try read(entry, from: archive, fileSize: data.count))
        }
        return .init(tensors: tensors, storages: storages)
    }

    /// Checks the zip's directory before ZIPFoundation reads it: its end record must be in the last 22 + 65,535
    /// bytes (ZIPFoundation would scan the whole file for it), and every directory offset and every ZIP64 size
    /// or offset must fit the file (ZIPFoundation traps on values of 2⁶³ or more: fuzzing found it).
    private static func validateDirectory(_ data: Data) throws {
        let bytes = [UInt8](data), size = bytes.count
        func bad(_ reason: String) -> TorchFileError { .badArchive(reason: reason) }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt64 { (0..<4).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
        func signature(_ at: Int, _ value: UInt64) -> Bool { at >= 0 && at + 4 <= size && u32(at) == value }
        guard size >= 22, let end = stride(from: size - 22, through: max(0, size - 22 - 65_535), by: -1)
            .first(where: { signature($0, 0x0605_4B50) })
        else { throw bad("no end-of-central-directory record in the last 64 KiB (the zip file is truncated)") }
        var entries = UInt64(u16(end + 10)), directory = u32(end + 16)
        // Like ZIPFoundation: a ZIP64 locator right before the end record means a ZIP64 end record right before it.
        if signature(end - 20, 0x0706_4B50), signature(end - 76, 0x0606_4B50) {
            entries = u64(end - 76 + 32)
            directory = u64(end - 76 + 48)
        }
        guard directory <= UInt64(size) else { throw bad("the central directory offset \(directory) is outside the \(size)-byte file") }
        let limit = UInt64(size) &* 1032 &+ 1024
        var at = Int(directory)
        for _ in 0..<min(entries, UInt64(size / 46)) {
            guard at + 46 <= size, signature(at, 0x0201_4B50) else { return }  // ZIPFoundation stops here too
            guard u32(at + 42) <= UInt64(size) else { throw bad("an entry's local header offset \(u32(at + 42)) is outside the \(size)-byte file") }
            let (name, extra, comment) = (u16(at + 28), u16(at + 30), u16(at + 32))
            var field = at + 46 + name
            while field + 4 <= min(size, at + 46 + name + extra) {
                let (id, length) = (u16(field), u16(field + 2))
                if id == 1 {
                    for value in stride(from: field + 4, to: min(field + 4 + length, size) - 7, by: 8) where u64(value) > limit {
                        throw bad("an entry's ZIP64 size or offset \(u64(value)) does not fit the \(size)-byte file")
                    }
                }
                field += 4 + length
            }
            at += 46 + name + extra + comment
        }
    }

    /// An entry's bytes, refusing sizes its compressed bytes cannot produce (deflate expands at most 1032×).
    private static func read(_ entry: Entry, from archive: Archive, fileSize: Int) throws -> Data {
        let size = entry.uncompressedSize
        guard size <= min(entry.compressedSize, UInt64(fileSize)) &* 1032 &+ 1024 else {
            throw TorchFileError.badArchive(reason: "\(entry.path) claims \(size) bytes from \(entry.compressedSize) compressed bytes, more than any compression yields")
        }
        var out = Data(capacity: Int(size))
        do {
            _ = try archive.extract(entry) { chunk in
                guard out.count + chunk.count <= Int(size) else { throw TorchFileError.badArchive(reason: "\(entry.path) is larger than its header says") }
                out.append(chunk)
            }
        } catch let error as TorchFileError {
            throw error
        } catch {
            throw TorchFileError.badArchive(reason: "\(entry.path): \(error)")
        }
        return out
    }
}
