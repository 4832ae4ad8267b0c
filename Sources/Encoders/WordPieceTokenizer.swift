import Foundation
import Tensors

/// BERT's WordPiece tokenizer, as Hugging Face `tokenizers` runs it from a `tokenizer.json` with a
/// `BertNormalizer`, `BertPreTokenizer` and `WordPiece` model:
///
/// 1. normalize: drop NUL, U+FFFD and control/format characters, turn whitespace into spaces, put spaces
///    around CJK ideographs, strip accents (NFD, drop non-spacing marks) and lower-case;
/// 2. split on whitespace and isolate every punctuation character;
/// 3. greedy longest-match WordPiece with the `##` continuation prefix; a word longer than
///    `maxInputCharsPerWord` or without a full segmentation becomes `[UNK]`;
/// 4. `[CLS] … [SEP]`, truncated to `maxLength` tokens; batches are padded with `[PAD]` and masked.
///
/// Offsets are ranges of Unicode scalar indices (Python `str` indices) into the original text; special
/// tokens get the empty range 0..<0.
public struct WordPieceTokenizer: Sendable {
    /// Tokens by id.
    public let vocabulary: [String]
    private let ids: [[UInt32]: Int]
    private let longestToken: Int
    /// Tokens matched verbatim in the raw text before normalization (`[CLS]`, `[MASK]`, …).
    public let addedTokens: [String]
    private let addedTokenKeys: [([UInt32], Int)]
    private let addedTokenStarts: Set<UInt32>
    public let lowercase: Bool
    public let stripAccents: Bool
    public let handleChineseChars: Bool
    public let cleanText: Bool
    public let continuationPrefix: String
    public let maxInputCharsPerWord: Int
    /// Maximum sequence length, special tokens included.
    public let maxLength: Int
    public let unknownID: Int
    public let clsID: Int
    public let sepID: Int
    public let padID: Int

    /// A tokenizer over `vocabulary` (tokens in id order). `stripAccents` nil follows `lowercase`, as BERT's.
    /// `addedTokens` (nil: the special tokens and `[MASK]` when in the vocabulary) are recognised verbatim
    /// in the text.
    public init(
        vocabulary: [String], lowercase: Bool = true, stripAccents: Bool? = nil, handleChineseChars: Bool = true,
        cleanText: Bool = true, continuationPrefix: String = "##", maxInputCharsPerWord: Int = 100, maxLength: Int = 512,
        unknownToken: String = "[UNK]", clsToken: String = "[CLS]", sepToken: String = "[SEP]", padToken: String = "[PAD]",
        addedTokens: [String]? = nil
    ) throws {
        precondition(maxLength >= 2, "WordPieceTokenizer: maxLength \(maxLength) leaves no room for [CLS] and [SEP]")
        var ids: [[UInt32]: Int] = [:]
        for (i, token) in vocabulary.enumerated() where ids[Self.key(token)] == nil { ids[Self.key(token)] = i }
        func id(_ token: String) throws -> Int {
            guard let i = ids[Self.key(token)] else {
                throw EncoderError.badConfig(path: "vocabulary", reason: "special token '\(token)' is not in the \(vocabulary.count)-token vocabulary")
            }
            return i
        }
        (unknownID, clsID, sepID, padID) = (try id(unknownToken), try id(clsToken), try id(sepToken), try id(padToken))
        let added = (addedTokens ?? [padToken, unknownToken, clsToken, sepToken, "[MASK]"].filter { ids[Self.key($0)] != nil })
            .filter { !$0.isEmpty }
        self.addedTokens = added
        addedTokenKeys = try added.map { (Self.key($0), try id($0)) }
        addedTokenStarts = Set(addedTokenKeys.map { $0.0[0] })
        self.vocabulary = vocabulary
        self.ids = ids
        longestToken = vocabulary.map { $0.unicodeScalars.count }.max() ?? 0
        (self.lowercase, self.stripAccents) = (lowercase, stripAccents ?? lowercase)
        (self.handleChineseChars, self.cleanText) = (handleChineseChars, cleanText)
        (self.continuationPrefix, self.maxInputCharsPerWord, self.maxLength) = (continuationPrefix, maxInputCharsPerWord, maxLength)
    }

    /// Reads a Hugging Face `tokenizer.json` (WordPiece model with a BertNormalizer). `maxLength` nil takes
    /// `model_max_length` from the sibling `tokenizer_config.json`, else 512.
    public init(contentsOf url: URL, maxLength: Int? = nil) throws {
        let json: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
                throw EncoderError.badConfig(path: url.path, reason: "expected a JSON object")
            }
            json = object
        } catch let error as EncoderError {
            throw error
        } catch {
            throw EncoderError.unreadable(path: url.path, reason: "not a readable JSON file (\(error.localizedDescription))")
        }
        guard let model = json["model"] as? [String: Any], model["type"] as? String == "WordPiece",
              let vocab = model["vocab"] as? [String: Any] else {
            throw EncoderError.badConfig(path: url.path, reason: "expected a \"model\" of type WordPiece with a \"vocab\"")
        }
        var tokens = [String](repeating: "", count: vocab.count)
        for (token, value) in vocab {
            guard let i = (value as? NSNumber)?.intValue, i >= 0, i < vocab.count, tokens[i].isEmpty else {
                throw EncoderError.badConfig(path: url.path, reason: "vocab ids must be 0..<\(vocab.count), each once; '\(token)' has \(value)")
            }
            tokens[i] = token
        }
        let normalizer = json["normalizer"] as? [String: Any] ?? [:]
        if let kind = normalizer["type"] as? String, kind != "BertNormalizer" {
            throw EncoderError.badConfig(path: url.path, reason: "normalizer \(kind) is not supported (expected BertNormalizer)")
        }
        var limit = maxLength
        if limit == nil {
            let configURL = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
            if let data = try? Data(contentsOf: configURL),
               let config = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let n = (config["model_max_length"] as? NSNumber)?.intValue, n >= 2, n <= 1 << 20 {
                limit = n
            }
        }
        let lowercase = normalizer["lowercase"] as? Bool ?? true
        let added = (json["added_tokens"] as? [[String: Any]])?.compactMap { $0["content"] as? String }
        try self.init(
            vocabulary: tokens, lowercase: lowercase, stripAccents: normalizer["strip_accents"] as? Bool,
            handleChineseChars: normalizer["handle_chinese_chars"] as? Bool ?? true,
            cleanText: normalizer["clean_text"] as? Bool ?? true,
            continuationPrefix: model["continuing_subword_prefix"] as? String ?? "##",
            maxInputCharsPerWord: (model["max_input_chars_per_word"] as? NSNumber)?.intValue ?? 100,
            maxLength: limit ?? 512, unknownToken: model["unk_token"] as? String ?? "[UNK]", addedTokens: added)
    }

    /// The same tokenizer with another maximum length (special tokens included).
    public func truncating(to maxLength: Int) throws -> WordPieceTokenizer {
        try WordPieceTokenizer(
            vocabulary: vocabulary, lowercase: lowercase, stripAccents: stripAccents, handleChineseChars: handleChineseChars,
            cleanText: cleanText, continuationPrefix: continuationPrefix, maxInputCharsPerWord: maxInputCharsPerWord,
            maxLength: maxLength, unknownToken: vocabulary[unknownID], clsToken: vocabulary[clsID],
            sepToken: vocabulary[sepID], padToken: vocabulary[padID],
            addedTokens: addedTokens)
    }

    /// The id of `token`, if it is in the vocabulary.
    public func id(of token: String) -> Int? { ids[Self.key(token)] }

    /// Token ids of `text` with `[CLS]`/`[SEP]`, truncated to `maxLength`, and each token's offsets. Added
    /// (special) tokens written in the text, such as `[MASK]`, are matched exactly before normalization.
    public func encode(_ text: String) -> Encoding {
        var ids = [clsID], offsets = [0..<0]
        let scalars = Array(text.unicodeScalars)
        var segmentStart = 0, i = 0
        while i < scalars.count {
            guard addedTokenStarts.contains(scalars[i].value), let (id, length) = addedToken(at: i, in: scalars) else {
                i += 1
                continue
            }
            encodeSegment(scalars[segmentStart..<i], ids: &ids, offsets: &offsets)
            ids.append(id)
            offsets.append(i..<i + length)
            i += length
            segmentStart = i
        }
        encodeSegment(scalars[segmentStart...], ids: &ids, offsets: &offsets)
        let budget = maxLength - 2
        if ids.count - 1 > budget {
            ids.removeLast(ids.count - 1 - budget)
            offsets.removeLast(offsets.count - 1 - budget)
        }
        ids.append(sepID)
        offsets.append(0..<0)
        return Encoding(ids: ids, offsets: offsets)
    }

    /// The longest added token spelled at `position`, with its id and length in scalars.
    private func addedToken(at position: Int, in scalars: [Unicode.Scalar]) -> (Int, Int)? {
        var best: (Int, Int)?
        for (token, id) in addedTokenKeys where token.count > (best?.1 ?? 0) && position + token.count <= scalars.count {
            if zip(token, scalars[position...]).allSatisfy({ $0 == $1.value }) { best = (id, token.count) }
        }
        return best
    }

    /// Normalizes, pre-tokenizes and word-pieces one stretch of text without added tokens, stopping once
    /// the sequence is full.
    private func encodeSegment(_ segment: ArraySlice<Unicode.Scalar>, ids: inout [Int], offsets: inout [Range<Int>]) {
        let budget = maxLength - 2
        guard !segment.isEmpty, ids.count - 1 < budget else { return }
        let (chars, origin) = normalize(segment)
        var start = 0
        func flush(_ end: Int) {
            if start < end, ids.count - 1 < budget { wordPieces(chars[start..<end], origin: origin, into: &ids, offsets: &offsets) }
            start = end + 1
        }
        for (i, c) in chars.enumerated() {
            if ids.count - 1 >= budget { return }
            if Self.isWhitespace(c) {
                flush(i)
            } else if Self.isPunctuation(c) {
                flush(i)
                if ids.count - 1 < budget { wordPieces(chars[i..<i + 1], origin: origin, into: &ids, offsets: &offsets) }
            }
        }
        flush(chars.count)
    }

    /// Encodes `texts` and pads them to the longest with `[PAD]`.
    public func encodeBatch(_ texts: [String]) -> BatchEncoding {
        BatchEncoding(texts.map(encode), padID: padID)
    }

    // MARK: - Normalization (BertNormalizer)

    /// The normalized scalars of `text`, each with the index of the original scalar it came from.
    private func normalize(_ text: ArraySlice<Unicode.Scalar>) -> ([Unicode.Scalar], [Int]) {
        var out: [Unicode.Scalar] = [], origin: [Int] = []
        out.reserveCapacity(text.count + 8)
        origin.reserveCapacity(text.count + 8)
        let space: Unicode.Scalar = " "
        for (i, c) in zip(text.indices, text) {
            if c.isASCII {
                if cleanText && (c.value == 0 || (Self.isControl(c))) { continue }
                let v = cleanText && Self.isWhitespace(c) ? space : lowercase ? Unicode.Scalar(UInt8(ascii: c).lowercasedASCII) : c
                out.append(v)
                origin.append(i)
                continue
            }
            if cleanText && (c.value == 0xFFFD || Self.isControl(c)) { continue }
            if cleanText && Self.isWhitespace(c) {
                out.append(space)
                origin.append(i)
                continue
            }
            if handleChineseChars && Self.isChinese(c) {
                out += [space, c, space]
                origin += [i, i, i]
                continue
            }
            let pieces: [Unicode.Scalar] = stripAccents
                ? String(c).decomposedStringWithCanonicalMapping.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }
                : [c]
            for p in pieces {
                if lowercase {
                    for l in p.properties.lowercaseMapping.unicodeScalars {
                        out.append(l)
                        origin.append(i)
                    }
                } else {
                    out.append(p)
                    origin.append(i)
                }
            }
        }
        return (out, origin)
    }

    /// Rust `char::is_whitespace` plus tab, newline and carriage return.
    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\n" || c == "\r" || (c.value > 0x7F || c.value == 0x0B || c.value == 0x0C) && c.properties.isWhitespace
    }

    /// Control, format, private-use or surrogate (Unicode Cc, Cf, Co, Cs), except tab/newline/return.
    /// Unassigned code points (Cn) are kept, as `tokenizers` does.
    static func isControl(_ c: Unicode.Scalar) -> Bool {
        if c == "\t" || c == "\n" || c == "\r" { return false }
        switch c.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// ASCII punctuation (including `$+<=>^`|~`) or a Unicode punctuation category (P*).
    static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        if v < 128 { return false }
        switch c.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .closePunctuation, .finalPunctuation, .initialPunctuation,
             .otherPunctuation, .openPunctuation: return true
        default: return false
        }
    }

    /// CJK ideograph blocks, as BERT's `_is_chinese_char` in Hugging Face `tokenizers`.
    static func isChinese(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: return true
        default: return false
        }
    }

    // MARK: - WordPiece

    /// Appends the greedy longest-match pieces of one word (or `[UNK]`) with their original offsets.
    private func wordPieces(
        _ word: ArraySlice<Unicode.Scalar>, origin: [Int], into ids: inout [Int], offsets: inout [Range<Int>]
    ) {
        let chars = word.map(\.value)
        let base = word.startIndex
        func span(_ a: Int, _ b: Int) -> Range<Int> { origin[base + a]..<(origin[base + b - 1] + 1) }
        if chars.count > maxInputCharsPerWord {
            ids.append(unknownID)
            offsets.append(span(0, chars.count))
            return
        }
        let prefix = Array(continuationPrefix.unicodeScalars.map(\.value))
        var pieces: [(Int, Range<Int>)] = []
        var start = 0
        while start < chars.count {
            var end = min(chars.count, start + longestToken)
            var found: Int?
            while start < end {
                let candidate = start > 0 ? prefix + chars[start..<end] : Array(chars[start..<end])
                if let id = self.ids[candidate] { found = id; break }
                end -= 1
            }
            guard let id = found else {
                ids.append(unknownID)
                offsets.append(span(0, chars.count))
                return
            }
            pieces.append((id, span(start, end)))
            start = end
        }
        for (id, range) in pieces {
            ids.append(id)
            offsets.append(range)
        }
    }

    private static func key(_ token: String) -> [UInt32] { token.unicodeScalars.map(\.value) }
}

/// One encoded text: token ids with `[CLS]`/`[SEP]` and each token's range of Unicode scalar indices in
/// the original text (0..<0 for special tokens).
public struct Encoding: Equatable, Sendable {
    public let ids: [Int]
    public let offsets: [Range<Int>]
}

/// Encoded texts padded to one length: `ids` row-major [batch, length], `attentionMask` 1 for real tokens and
/// 0 for padding (Hugging Face's convention), `paddingMask` its complement as the engine's `Mask`.
public struct BatchEncoding: Equatable, Sendable {
    public let ids: [Int]
    public let attentionMask: [Int]
    public let lengths: [Int]
    public let batch: Int
    public let length: Int
    public let encodings: [Encoding]

    /// Pads `encodings` to the longest with `padID`.
    public init(_ encodings: [Encoding], padID: Int) {
        let length = encodings.map(\.ids.count).max() ?? 0
        var ids: [Int] = [], mask: [Int] = []
        ids.reserveCapacity(encodings.count * length)
        mask.reserveCapacity(encodings.count * length)
        for e in encodings {
            let pad = length - e.ids.count
            ids += e.ids + [Int](repeating: padID, count: pad)
            mask += [Int](repeating: 1, count: e.ids.count) + [Int](repeating: 0, count: pad)
        }
        (self.ids, self.attentionMask, self.lengths) = (ids, mask, encodings.map(\.ids.count))
        (self.batch, self.length, self.encodings) = (encodings.count, length, encodings)
    }

    /// [batch, length], true at padding positions (the polarity attention and pooling ops take).
    public var paddingMask: Mask { Mask.padding(lengths: lengths, maxLength: length) }
}

private extension UInt8 {
    var lowercasedASCII: UInt8 { (65...90).contains(self) ? self + 32 : self }
}
