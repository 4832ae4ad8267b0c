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

    /// Embeds tokens `ids` at `positions` with `tokenTypes` (zeros when nil), all of one length, as
    /// [ids.count, hidden].
    public func callAsFunction(_ ids: [Int], positions: [Int], tokenTypes: [Int]? = nil) -> Tensor {
        precondition(positions.count == ids.count && (tokenTypes?.count ?? ids.count) == ids.count,
                     "BertEmbeddings: \(ids.count) ids, \(positions.count) positions, \(tokenTypes?.count ?? ids.count) token types")
        precondition(positions.allSatisfy { $0 >= 0 && $0 < positionEmbeddings.count },
                     "BertEmbeddings: a position is outside the \(positionEmbeddings.count) position embeddings")
        let words = wordEmbeddings(ids, shape: [ids.count])
        let places = positionEmbeddings(positions, shape: [ids.count])
        let types = tokenTypeEmbeddings(tokenTypes ?? [Int](repeating: 0, count: ids.count), shape: [ids.count])
        return layerNorm(words + types + places)
    }
}
