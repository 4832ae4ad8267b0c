import Foundation
import Tensors

/// Reads PyTorch checkpoints written by `torch.save` — the zip format (`<archive>/data.pkl` plus
/// `<archive>/data/<key>` storages) and the legacy non-zip format — into Float32 tensors, through a safe
/// pickle machine that refuses anything but state_dict contents (see `Pickle`).
///
/// Nested containers are flattened to dotted keys: `{"model": {"fc.weight": t}, "epoch": 3}` gives
/// `["model.fc.weight": t]` (list and tuple items are keyed by index; ints, strings and other non-tensor
/// leaves are dropped). Pass `entry: "model"` (or `"state_dict"`) to read only that top-level entry, with its
/// keys relative to it. A tensor pickled once but referenced under two keys (tied weights) is one shared
/// `Tensor`; every tensor is a contiguous copy (non-contiguous views are gathered), F32 exact, F16, BF16,
/// F64, I64, I32, I16, I8, U8 and bool converted to Float32.
public enum TorchCheckpoint {
    /// Reads every tensor of the checkpoint at `url` (or of its top-level `entry` only).
    public static func load(_ url: URL, entry: String? = nil) throws -> [String: Tensor] {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw TorchFileError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        let file = try decode(data, file: url, entry: entry)
        return try materialize(file.tensors, storages: file.storages)
    }

    /// Reads every tensor of checkpoint bytes (or of their top-level `entry` only).
    public static func load(data: Data, entry: String? = nil) throws -> [String: Tensor] {
        let file = try decode(data, file: nil, entry: entry)
        return try materialize(file.tensors, storages: file.storages)
    }

    /// The tensors of the main pickle by dotted key, and the raw bytes of every storage by key.
    struct DecodedFile {
        let tensors: [(String, TensorSpec)]
        let storages: [String: (dtype: TorchDType, bytes: Data)]
    }

    /// The tensors under the main pickle's root (or its top-level `entry`) with dotted keys.
    static func tensors(in pickle: Pickle.Result, entry: String?) throws -> [(String, TensorSpec)] {
        var root = pickle.value
        if let entry {
            guard case let .dict(d) = root else { throw TorchFileError.missingEntry(name: entry, available: []) }
            guard let selected = d.values[entry] else { throw TorchFileError.missingEntry(name: entry, available: d.keys) }
            root = selected
        }
        var specs: [(String, TensorSpec)] = []
        var seen = Set<String>()
        var budget = pickle.steps + 1
        try flatten(root, prefix: "", depth: 0, budget: &budget, stop: pickle.end - 1, into: &specs, seen: &seen)
        return specs
    }

    /// `file` is where `data` came from, if anywhere (the zip reader reads the archive from a file).
    static func decode(_ data: Data, file: URL?, entry: String?) throws -> DecodedFile {
        let head = [UInt8](data.prefix(4))
        if head == [0x50, 0x4b, 0x03, 0x04] { return try ZipCheckpoint.decode(data, file: file, entry: entry) }
        if head.first == 0x80 { return try LegacyCheckpoint.decode(data, entry: entry) }
        let shown = head.map { String(format: "%02x", $0) }.joined(separator: " ")
        throw TorchFileError.notACheckpoint(reason: "the file starts with bytes [\(shown)], expected 'PK' (zip format) or 0x80 (legacy pickle)")
    }

    /// Collects the tensors under `value` with dotted keys. `budget` bounds the walk by the pickle's size, so
    /// self-referencing or exponentially shared containers cannot make it run away; `stop` (the offset of
    /// the pickle's STOP) is what errors point at.
    private static func flatten(
        _ value: PickleValue, prefix: String, depth: Int, budget: inout Int, stop: Int,
        into specs: inout [(String, TensorSpec)], seen: inout Set<String>
    ) throws {
        budget -= 1
        guard budget >= 0, depth <= 64 else {
            throw TorchFileError.malformed(
                reason: "the unpickled object's containers nest deeper than 64 levels or refer to themselves", offset: stop)
        }
        func key(_ k: String) -> String { prefix.isEmpty ? k : "\(prefix).\(k)" }
        switch value {
        case let .tensor(spec):
            guard seen.insert(prefix).inserted else { throw TorchFileError.duplicateKey(prefix) }
            specs.append((prefix, spec))
        case let .dict(d):
            for k in d.keys { try flatten(d.values[k]!, prefix: key(k), depth: depth + 1, budget: &budget, stop: stop, into: &specs, seen: &seen) }
        case let .list(l):
            for (i, v) in l.items.enumerated() { try flatten(v, prefix: key(String(i)), depth: depth + 1, budget: &budget, stop: stop, into: &specs, seen: &seen) }
        case let .tuple(items, _):
            for (i, v) in items.enumerated() { try flatten(v, prefix: key(String(i)), depth: depth + 1, budget: &budget, stop: stop, into: &specs, seen: &seen) }
        default:
            break
        }
    }

    /// Copies each distinct tensor out of its storage once, within an element budget of 4× the stored
    /// elements + 2^20 (so stride-0 views or many overlapping views cannot allocate without bound).
    private static func materialize(
        _ specs: [(String, TensorSpec)], storages: [String: (dtype: TorchDType, bytes: Data)]
    ) throws -> [String: Tensor] {
        let stored = storages.values.reduce(0) { $0 + $1.bytes.count / $1.dtype.size }
        let budget = 4 * stored + (1 << 20)
        var requested = 0
        var counts: [ObjectIdentifier: Int] = [:]
        for (name, spec) in specs where counts[ObjectIdentifier(spec)] == nil {
            guard let storage = storages[spec.storage.key] else { throw TorchFileError.missingRecord("storage \(spec.storage.key)") }
            guard storage.dtype == spec.storage.dtype else {
                throw TorchFileError.badTensor(tensor: name, reason: "storage '\(spec.storage.key)' has another dtype")
            }
            let count = try spec.validate(name: name, storageCount: storage.bytes.count / storage.dtype.size)
            counts[ObjectIdentifier(spec)] = count
            requested += count
            guard requested <= budget else { throw TorchFileError.tooManyElements(requested: requested, budget: budget) }
        }
        var done: [ObjectIdentifier: Tensor] = [:]
        var out: [String: Tensor] = [:]
        for (name, spec) in specs {
            let id = ObjectIdentifier(spec)
            if done[id] == nil {
                done[id] = storages[spec.storage.key]!.bytes.withUnsafeBytes { spec.materialize(count: counts[id]!, bytes: $0) }
            }
            out[name] = done[id]
        }
        return out
    }
}
