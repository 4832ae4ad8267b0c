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
    public func callAsFunction(_ ids: [Int], mask: Mask) -> Tensor {
        let (b, t) = (mask.shape[0], mask.shape[1])
        precondition(ids.count == b * t, "QuestionEncoder: \(ids.count) ids for a [\(b), \(t)] mask")
        precondition(t <= positionEmbedding.count, "QuestionEncoder: \(t) tokens but only \(positionEmbedding.count) positions")
        let positions = positionEmbedding(Array(0..<t), shape: [1, t])
        var x = add(tokenEmbedding(ids, shape: [b, t]), positions)
        for layer in layers { x = layer(x, keyPaddingMask: mask) }
        return x
    }
}
