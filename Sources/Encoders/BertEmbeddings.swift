import NN
import Tensors

/// BERT's input embeddings: word + absolute position + token type, then LayerNorm (dropout is a no-op in
/// the frozen inference this encoder runs). Keys as Hugging Face `BertEmbeddings`: `word_embeddings.weight`,
/// `position_embeddings.weight`, `token_type_embeddings.weight`, `LayerNorm.weight/bias`.
public final class BertEmbeddings: Module {
    public let wordEmbeddings: Embedding
    public let positionEmbeddings: Embedding
    public let tokenTypeEmbeddings: Embedding
    public let layerNorm: LayerNorm

    public init(_ config: BertConfig) {
        wordEmbeddings = Embedding(config.vocabSize, config.hiddenSize)
        positionEmbeddings = Embedding(config.maxPositions, config.hiddenSize)
        tokenTypeEmbeddings = Embedding(config.typeVocabSize, config.hiddenSize)
        layerNorm = LayerNorm(config.hiddenSize, eps: config.layerNormEps)
        super.init()
        register(module: "word_embeddings", wordEmbeddings)
        register(module: "position_embeddings", positionEmbeddings)
        register(module: "token_type_embeddings", tokenTypeEmbeddings)
        register(module: "LayerNorm", layerNorm)
    }

    /// Embeds `ids` [batch, length] (row-major) with positions 0..<length and `tokenTypes` (zeros when nil).
    public func callAsFunction(_ ids: [Int], tokenTypes: [Int]? = nil, batch: Int, length: Int) -> Tensor {
        precondition(ids.count == batch * length, "BertEmbeddings: \(ids.count) ids for [\(batch), \(length)]")
        precondition(length <= positionEmbeddings.count,
                     "BertEmbeddings: length \(length) exceeds \(positionEmbeddings.count) positions")
        let words = wordEmbeddings(ids, shape: [batch, length])
        let positions = positionEmbeddings(Array(0..<length), shape: [1, length])
        let types = tokenTypeEmbeddings(tokenTypes ?? [Int](repeating: 0, count: batch * length), shape: [batch, length])
        return layerNorm(words + types + positions)
    }
}
