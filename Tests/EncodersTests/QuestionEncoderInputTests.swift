import Encoders
import NN
import Tensors
import XCTest

/// Token ids come from outside (tokenised text): bad ones are a `TextInputError`, never a crash.
final class QuestionEncoderInputTests: XCTestCase {
    private func encoder() -> QuestionEncoder {
        Random.seed(0)
        return QuestionEncoder(vocabularySize: 10, maxLength: 4, width: 8, heads: 2)
    }

    func testSequenceLongerThanTheMaxPositionsIsATypedError() {
        let mask = Mask.padding(lengths: [6], maxLength: 6)
        XCTAssertThrowsError(try encoder()([1, 2, 3, 4, 5, 6], mask: mask)) { error in
            XCTAssertEqual(error as? TextInputError, .tooLong(tokens: 6, maxPositions: 4))
            XCTAssertEqual("\(error)", "text has 6 token positions but the encoder has only 4: cut the texts to 4 tokens "
                           + "(WordVocabulary.encode(texts, length: 4)), or build the encoder with maxLength ≥ 6")
        }
    }

    func testIdsOutsideTheVocabularyAndWrongCountsAreTypedErrors() {
        let mask = Mask.padding(lengths: [2, 3], maxLength: 3)
        XCTAssertThrowsError(try encoder()([1, 2, 0, 4, 10, 6], mask: mask)) { error in
            XCTAssertEqual(error as? TextInputError, .unknownID(id: 10, index: 4, vocabularySize: 10))
            XCTAssertTrue("\(error)".contains("encode the text with the vocabulary the encoder was built with"), "\(error)")
        }
        XCTAssertThrowsError(try encoder()([1, 2, 0, -1, 3, 6], mask: mask)) { error in
            XCTAssertEqual(error as? TextInputError, .unknownID(id: -1, index: 3, vocabularySize: 10))
        }
        XCTAssertThrowsError(try encoder()([1, 2, 3], mask: mask)) { error in
            XCTAssertEqual(error as? TextInputError, .idCount(found: 3, batch: 2, tokens: 3))
        }
    }

    /// An empty text is one fully masked position (finite features); a batch with no positions at all is refused.
    func testEmptyTexts() throws {
        let e = encoder()
        e.eval()
        let out = try e([0, 0, 5, 6], mask: Mask.padding(lengths: [0, 2], maxLength: 2))
        XCTAssertEqual(out.shape, [2, 2, 8])
        XCTAssertTrue(out.scalars.allSatisfy(\.isFinite))
        XCTAssertThrowsError(try e([], mask: Mask.padding(lengths: [0, 0], maxLength: 0))) { error in
            XCTAssertEqual(error as? TextInputError, .noTokens(batch: 2))
            XCTAssertTrue("\(error)".contains("an empty text is one padding token"), "\(error)")
        }
    }
}
