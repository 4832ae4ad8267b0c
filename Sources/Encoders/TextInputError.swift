/// Token ids that a text encoder cannot take; each case says what was expected, what was found and the fix.
public enum TextInputError: Error, CustomStringConvertible, Equatable {
    /// The batch has more token positions than the encoder has position embeddings.
    case tooLong(tokens: Int, maxPositions: Int)
    /// The id list does not hold one id per position of the [batch, tokens] mask.
    case idCount(found: Int, batch: Int, tokens: Int)
    /// An id outside the encoder's vocabulary.
    case unknownID(id: Int, index: Int, vocabularySize: Int)
    /// A batch with zero token positions.
    case noTokens(batch: Int)

    public var description: String {
        switch self {
        case let .tooLong(tokens, maxPositions):
            "text has \(tokens) token positions but the encoder has only \(maxPositions): cut the texts to "
                + "\(maxPositions) tokens (WordVocabulary.encode(texts, length: \(maxPositions))), or build the encoder with maxLength ≥ \(tokens)"
        case let .idCount(found, batch, tokens):
            "got \(found) token ids for a [\(batch), \(tokens)] padding mask (expected \(batch * tokens)): pass the ids "
                + "row-major, one per mask position, as WordVocabulary.encode(texts) returns them"
        case let .unknownID(id, index, vocabularySize):
            "token id \(id) at index \(index) is outside the vocabulary of \(vocabularySize) words (ids 0..<\(vocabularySize)): "
                + "encode the text with the vocabulary the encoder was built with"
        case let .noTokens(batch):
            "text batch of \(batch) has no token positions: give every text at least one position (an empty text is "
                + "one padding token with its mask set; WordVocabulary.encode(texts, length: 1) does that)"
        }
    }
}
