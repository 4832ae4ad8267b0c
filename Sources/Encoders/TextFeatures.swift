import Tensors

/// What a text encoder gives for a batch of texts: per-token features and their padding mask (what
/// cross-attention consumes) and one L2-normalized sentence embedding per text.
public struct TextFeatures {
    /// [batch, length, hidden] last hidden state; rows at padding positions are not meaningful.
    public let tokenFeatures: Tensor
    /// [batch, length], true at padding positions.
    public let paddingMask: Mask
    /// [batch, hidden], masked mean of the token features, L2-normalized (sentence-transformers pooling).
    public let sentenceEmbeddings: Tensor
    /// The tokenization the features belong to (ids, lengths, offsets).
    public let encoding: BatchEncoding
}
