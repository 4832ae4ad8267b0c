import Encoders
import Tensors

/// Token features of a fixed set of texts from a frozen pretrained encoder (e.g. MiniLM), computed once and
/// looked up per batch. Sort-of-CLEVR has 36 distinct question texts, so this costs one encoder pass in all.
public struct FrozenTextFeatures {
    /// [texts, length, hidden], zero at padding.
    public let table: Tensor
    /// [texts, length], true at padding.
    public let mask: Mask
    private let row: [String: Int]

    /// Encodes `texts` once with `encoder`.
    public init(encoder: SentenceEncoder, texts: [String]) {
        let unique = Array(Set(texts)).sorted()
        let features = encoder.encode(unique)
        table = features.tokenFeatures
        mask = features.paddingMask
        row = Dictionary(uniqueKeysWithValues: unique.enumerated().map { ($1, $0) })
    }

    /// Width of the token features.
    public var dimension: Int { table.shape[2] }

    /// Token features [B, length, hidden] and padding mask [B, length] of `texts` (each one of the encoded texts).
    public func callAsFunction(_ texts: [String]) throws -> (features: Tensor, mask: Mask) {
        let rows = try texts.map { text in
            guard let r = row[text] else { throw SortOfCLEVRError.unknownText(text) }
            return r
        }
        let length = mask.shape[1]
        let values = rows.flatMap { mask.values[($0 * length)..<(($0 + 1) * length)] }
        return (indexSelect(table, axis: 0, indices: rows), Mask(shape: [rows.count, length], values))
    }
}
