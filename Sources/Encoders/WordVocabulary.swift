import Tensors

/// A word-level vocabulary: lower-cased words, punctuation split into its own tokens, id 0 `[PAD]`, id 1
/// `[UNK]` (any word not in the vocabulary), then the known words in sorted order.
public struct WordVocabulary: Equatable, Sendable, Codable {
    public static let padding = "[PAD]", unknown = "[UNK]"
    public static let paddingID = 0, unknownID = 1

    /// Every token, indexed by id.
    public let words: [String]
    private let ids: [String: Int]

    /// The vocabulary of every token in `texts`.
    public init(texts: [String]) {
        let known = Set(texts.flatMap(Self.tokens))
        self.init(validated: [Self.padding, Self.unknown] + known.sorted())
    }

    /// A vocabulary with the given tokens in id order; the first two must be `[PAD]` and `[UNK]`, no repeats.
    public init?(words: [String]) {
        guard words.count >= 2, words[0] == Self.padding, words[1] == Self.unknown, Set(words).count == words.count
        else { return nil }
        self.init(validated: words)
    }

    private init(validated words: [String]) {
        self.words = words
        ids = Dictionary(uniqueKeysWithValues: words.enumerated().map { ($1, $0) })
    }

    public var count: Int { words.count }

    /// The tokens of `text`: lower-cased, split at white space, every non-alphanumeric character its own token.
    public static func tokens(_ text: String) -> [String] {
        var tokens: [String] = [], word = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                word.append(character)
                continue
            }
            if !word.isEmpty { tokens.append(word); word = "" }
            if !character.isWhitespace { tokens.append(String(character)) }
        }
        if !word.isEmpty { tokens.append(word) }
        return tokens
    }

    /// The ids of `text`'s tokens (`unknownID` for unknown words).
    public func encode(_ text: String) -> [Int] { Self.tokens(text).map { ids[$0] ?? Self.unknownID } }

    /// `texts` as a [count, length] row-major id sequence padded with `paddingID`, and its padding mask
    /// (true = padding). `length` defaults to the longest text; longer texts are cut to `length`.
    public func encode(_ texts: [String], length: Int? = nil) -> (ids: [Int], mask: Mask) {
        batch(texts.map(encode), length: length)
    }

    /// Already encoded sequences padded to `length` (default: the longest), with their padding mask.
    public func batch(_ sequences: [[Int]], length: Int? = nil) -> (ids: [Int], mask: Mask) {
        let width = length ?? sequences.map(\.count).max() ?? 0
        var out = [Int](repeating: Self.paddingID, count: sequences.count * width), lengths: [Int] = []
        for (row, sequence) in sequences.enumerated() {
            let n = min(sequence.count, width)
            for j in 0..<n { out[row * width + j] = sequence[j] }
            lengths.append(n)
        }
        return (out, Mask.padding(lengths: lengths, maxLength: width))
    }

    /// The text of `ids` without padding: tokens joined by spaces, punctuation attached to the word before.
    public func decode(_ ids: [Int]) -> String {
        var text = ""
        for id in ids where id != Self.paddingID {
            let word = words.indices.contains(id) ? words[id] : Self.unknown
            let attaches = word.count == 1 && !(word.first!.isLetter || word.first!.isNumber)
            if !text.isEmpty && !attaches { text += " " }
            text += word
        }
        return text
    }

    public init(from decoder: Decoder) throws {
        let words = try decoder.singleValueContainer().decode([String].self)
        guard let vocabulary = WordVocabulary(words: words) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "a word vocabulary starts with \(Self.padding), \(Self.unknown) and has no repeated words"))
        }
        self = vocabulary
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(words)
    }
}
