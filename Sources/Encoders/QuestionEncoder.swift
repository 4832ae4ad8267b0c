import NN
import Tensors

/// A small Transformer over question tokens: token + learned position embeddings, then post-norm
/// `TransformerEncoderLayer`s (GELU) with the padding mask. Keys: `token_embedding.weight`,
/// `position_embedding.weight`, `layers.0.*`, ….
public final class QuestionEncoder: Module {
    public let tokenEmbedding: Embedding
    public let positionEmbedding: Embedding
    public let layers: [TransformerEncoderLayer]
    public let width: Int

    public init(vocabularySize: Int, maxLength: Int, width: Int, heads: Int = 4, depth: Int = 1, dropout: Float = 0.1,
                paddingID: Int? = 0) {
        self.width = width
        tokenEmbedding = Embedding(vocabularySize, width, paddingIndex: paddingID)
        positionEmbedding = Embedding(maxLength, width)
        layers = (0..<depth).map { _ in
            TransformerEncoderLayer(width, heads: heads, feedForwardDim: 2 * width, dropout: dropout, activation: .gelu)
        }
        super.init()
        register(module: "token_embedding", tokenEmbedding)
        register(module: "position_embedding", positionEmbedding)
        let stack = Module()
        for (i, layer) in layers.enumerated() { stack.register(module: String(i), layer) }
        register(module: "layers", stack)
    }

    /// Token features [B, T, width] for `ids` ([B·T], row-major) with padding mask [B, T] (true = padding).
    /// Ids and mask come from outside (tokenised text), so they are checked: more positions than
    /// `maxLength`, an id outside the vocabulary, a wrong id count or zero positions throw `TextInputError`.
    /// A text that is all padding is allowed (its positions attend to nothing and give finite features).
    public func callAsFunction(_ ids: [Int], mask: Mask) throws -> Tensor {
        precondition(mask.shape.count == 2, "QuestionEncoder: padding mask must be [batch, tokens], got \(mask.shape)")
        let (b, t) = (mask.shape[0], mask.shape[1])
        guard ids.count == b * t else { throw TextInputError.idCount(found: ids.count, batch: b, tokens: t) }
        guard t > 0 else { throw TextInputError.noTokens(batch: b) }
        guard t <= positionEmbedding.count else { throw TextInputError.tooLong(tokens: t, maxPositions: positionEmbedding.count) }
        if let bad = ids.firstIndex(where: { $0 < 0 || $0 >= tokenEmbedding.count }) {
            throw TextInputError.unknownID(id: ids[bad], index: bad, vocabularySize: tokenEmbedding.count)
        }
        let positions = positionEmbedding(Array(0..<t), shape: [1, t])
        var x = add(tokenEmbedding(ids, shape: [b, t]), positions)
        for layer in layers { x = layer(x, keyPaddingMask: mask) }
        return x
    }
}
