/// Why a PyTorch checkpoint could not be read; each description says what was expected, what was found and
/// how to fix it. Offsets are byte offsets into the pickle stream (zip format: into `data.pkl`; legacy
/// format: into the file).
public enum TorchFileError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case notACheckpoint(reason: String)
    case badArchive(reason: String)
    case missingRecord(String)
    case unsupportedByteOrder(String)
    case truncated(offset: Int)
    case lengthTooLarge(claimed: UInt64, available: Int, offset: Int)
    case unsupportedOpcode(byte: UInt8, offset: Int)
    case forbiddenGlobal(module: String, name: String)
    case unsupportedStorage(String)
    case malformed(reason: String, offset: Int)
    case badTensor(tensor: String, reason: String)
    case storageTooSmall(tensor: String, storage: String, needed: Int, available: Int)
    case tooManyElements(requested: Int, budget: Int)
    case duplicateKey(String)
    case missingEntry(name: String, available: [String])

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "cannot read checkpoint \(path): \(reason); check the path and permissions"
        case let .notACheckpoint(reason):
            "not a PyTorch checkpoint: \(reason); pass a file written by torch.save (zip or legacy format)"
        case let .badArchive(reason):
            "the checkpoint's zip archive is unreadable: \(reason); the file is truncated or corrupted, save it again"
        case let .missingRecord(name):
            "the checkpoint archive has no record '\(name)', which torch.save always writes; the file is incomplete, save it again"
        case let .unsupportedByteOrder(order):
            "the checkpoint was written on a \(order)-endian machine; only little-endian files are read. Re-save it on a little-endian machine"
        case let .truncated(offset):
            "the checkpoint ends early: more bytes were expected at offset \(offset); the file is truncated, download or save it again"
        case let .lengthTooLarge(claimed, available, offset):
            "a length at offset \(offset) claims \(claimed) bytes but only \(available) remain (nothing was allocated); the file is truncated or corrupted"
        case let .unsupportedOpcode(byte, offset):
            "pickle opcode 0x\(String(byte, radix: 16)) at offset \(offset) is not one state_dicts use and is refused; save a plain state_dict (tensors in dicts) with torch.save"
        case let .forbiddenGlobal(module, name):
            "the checkpoint references the global \(module).\(name), which is not on the allow-list (OrderedDict, torch tensor rebuilders, torch storage types); it is refused because unpickling it could run code. Save only tensors in dicts (model.state_dict())"
        case let .unsupportedStorage(name):
            "storage type torch.\(name) is not supported; supported are Float, Half, BFloat16, Double, Long, Int, Short, Char, Byte and Bool storages. Convert the tensor (e.g. .float()) before saving"
        case let .malformed(reason, offset):
            "malformed checkpoint pickle at offset \(offset): \(reason); the file is corrupted or not a state_dict"
        case let .badTensor(tensor, reason):
            "tensor '\(tensor)' is invalid: \(reason); the file is corrupted"
        case let .storageTooSmall(tensor, storage, needed, available):
            "tensor '\(tensor)' needs \(needed) elements of storage '\(storage)', which holds \(available); the file is truncated or corrupted"
        case let .tooManyElements(requested, budget):
            "the checkpoint's tensors would need \(requested) Float32 elements, over the budget of \(budget) (4× its stored elements + 2^20); broadcast (stride-0) views are refused beyond that, save them with .contiguous()"
        case let .duplicateKey(key):
            "two entries flatten to the key '\(key)'; rename one so the dotted keys are unique"
        case let .missingEntry(name, available):
            "the checkpoint has no top-level entry '\(name)'; its entries are \(available)"
        }
    }
}
