import Tensors

/// Constants shared by the Sort-of-CLEVR generator, source and files.
public enum SortOfCLEVR {
    /// The two splits; each has its own random stream.
    public enum Split: String, CaseIterable, Sendable {
        case train, test
    }

    /// Default split sizes (Santoro et al. 2017).
    public static let trainImages = 9_800, testImages = 200

    /// Every question text of every type about every colour.
    public static let allQuestionTexts: [String] = QuestionKind.allCases.flatMap { kind in
        SortOfCLEVRColor.allCases.map { kind.text(color: $0) }
    }

    /// The generator for image `image` of `split` under `seed`.
    static func random(seed: UInt64, split: Split, image: Int) -> RandomGenerator {
        var mixer = RandomGenerator(seed: seed ^ (split == .train ? 0x5EED_0001 : 0x5EED_0002))
        return RandomGenerator(seed: mixer.next() &+ UInt64(image) &* 0x9E37_79B9_7F4A_7C15)
    }
}
