import Foundation
import ZIPFoundation

/// The zip format of `torch.save` (PyTorch ≥ 1.6): `<archive>/data.pkl`, `<archive>/byteorder` and one
/// `<archive>/data/<key>` record of raw little-endian elements per storage; `<archive>` is any name.
enum ZipCheckpoint {
    /// Decodes the archive `data`, read by ZIPFoundation from `file` (its source) or, for in-memory bytes, from
    /// a temporary copy: ZIPFoundation's in-memory archives trap on offsets past the end of the data (fuzzing
    /// found it), its file-backed ones read them as a short read.
    static func decode(_ data: Data, file: URL?, entry: String?) throws -> TorchCheckpoint.DecodedFile {
        // ZIPFoundation scans the whole file backwards for this record; a zip keeps it in its last 22 + 65,535 bytes.
        guard hasEndOfCentralDirectory(data) else {
            throw TorchFileError.badArchive(reason: "no end-of-central-directory record in the last 64 KiB (the zip file is truncated)")
        }
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

    /// Whether a complete end-of-central-directory record (signature PK\u{5}\u{6}, 22 bytes) starts in the
    /// last 65,557 bytes.
    private static func hasEndOfCentralDirectory(_ data: Data) -> Bool {
        let bytes = [UInt8](data.suffix(22 + 65_535))
        guard bytes.count >= 22 else { return false }
        for i in stride(from: bytes.count - 22, through: 0, by: -1)
        where bytes[i] == 0x50 && bytes[i + 1] == 0x4b && bytes[i + 2] == 0x05 && bytes[i + 3] == 0x06 {
            return true
        }
        return false
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
