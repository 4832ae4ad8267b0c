import Foundation
import ZIPFoundation

/// The zip format of `torch.save` (PyTorch ≥ 1.6): `<archive>/data.pkl`, `<archive>/byteorder` and one
/// `<archive>/data/<key>` record of raw little-endian elements per storage; `<archive>` is any name.
enum ZipCheckpoint {
    static func decode(_ data: Data, entry: String?) throws -> TorchCheckpoint.DecodedFile {
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
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
