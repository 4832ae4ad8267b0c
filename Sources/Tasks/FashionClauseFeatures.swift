import Encoders
import Tensors

/// Frozen MiniLM token features of every clause a fashion-scene caption can hold ("a sneaker above a bag"),
/// each clause encoded on its own ([CLS] … [SEP]). A caption's text features are its clauses' token features
/// one after the other, so any caption — a fresh one for every training scene at every step — costs a copy,
/// not an encoder run. Fresh captions are what make the position words learnable: with one fixed caption per
/// scene the models memorise the training scenes' captions and stay at chance on swapped positions.
public struct FashionClauseFeatures {
    /// [`count`, T, 384]: clause row `row(_:)`, zero past each clause's length.
    public let features: Tensor
    /// Tokens of each clause ([CLS] and [SEP] included).
    public let lengths: [Int]

    /// Clause rows: every (first article, relation, second article), including the unused first == second.
    public static let count = 10 * relations.count * 10
    static let relations = FashionSceneCaption.Relation.allCases

    /// The row of `clause`: first · 40 + relation · 10 + second.
    public static func row(_ clause: FashionSceneCaption.Clause) -> Int {
        (clause.first * relations.count + relations.firstIndex(of: clause.relation)!) * 10 + clause.second
    }

    /// The clause texts in row order, for the encoder.
    public static var texts: [String] {
        (0..<10).flatMap { first in
            relations.flatMap { relation in
                (0..<10).map { FashionSceneCaption(clauses: [.init(first: first, relation: relation, second: $0)]).text }
            }
        }
    }

    /// Wraps encoded clause features [`count`, T, 384] and their lengths; nil when the shapes do not fit.
    public init?(features: Tensor, lengths: [Int]) {
        guard features.rank == 3, features.shape[0] == Self.count, lengths.count == Self.count,
              lengths.allSatisfy({ (1...features.shape[1]).contains($0) }) else { return nil }
        (self.features, self.lengths) = (features, lengths)
    }

    /// Encodes every clause with `encoder`.
    public init(encoder: SentenceEncoder) {
        let out = TextEmbedding.embed(Self.texts, encoder: encoder, batchSize: 64)
        self.init(features: out["token_features"]!, lengths: out["lengths"]!.scalars.map { Int($0) })!
    }

    /// Tokens of `caption`: the sum of its clauses' lengths.
    public func length(_ caption: FashionSceneCaption) -> Int { caption.clauses.reduce(0) { $0 + lengths[Self.row($1)] } }

    /// Token features [captions, T, 384] of `captions` (T the longest), zero past each caption's length, and
    /// the lengths.
    public func text(_ captions: [FashionSceneCaption]) -> (features: Tensor, lengths: [Int]) {
        let captionLengths = captions.map(length)
        let t = max(captionLengths.max() ?? 1, 1), h = features.shape[2], clauseTokens = features.shape[1]
        let out = Tensor(zeros: [captions.count, t, h])
        for (i, caption) in captions.enumerated() {
            var token = 0
            for clause in caption.clauses {
                let row = Self.row(clause), n = lengths[row]
                (out.mutableData + (i * t + token) * h).update(from: features.data + row * clauseTokens * h, count: n * h)
                token += n
            }
        }
        return (out, captionLengths)
    }

    /// Token position of article `article` (0 first, 1 second) of clause `k` in `caption`'s features: the
    /// first token of its name.
    public func tokenPosition(ofArticle article: Int, clause k: Int, in caption: FashionSceneCaption, tokenizer: WordPieceTokenizer) -> Int {
        let before = caption.clauses.prefix(k).reduce(0) { $0 + lengths[Self.row($1)] }
        let clause = caption.clauses[k]
        let prefix = article == 0 ? "a" : "\(FashionSceneCaption.phrase(clause.first)) \(clause.relation.rawValue) a"
        return before + tokenizer.encode(prefix).ids.count - 1  // [CLS] prefix [SEP]: the name follows the prefix
    }
}
