import Encoders
import Imaging
import Tensors

/// Sort-of-CLEVR images with their questions, kept as 8-bit images (10,000 images are 170 MB as bytes, 670 MB
/// as floats) and converted to Float tensors per batch.
public struct SortOfCLEVRDataset: Sendable {
    /// The images, indexed by image.
    public let images: [RGBImage]
    /// Every question, in image order.
    public let questions: [SortOfCLEVRQuestion]
    /// The image each question is about (index into `images`).
    public let imageOfQuestion: [Int]
    /// The scenes the images were drawn from (empty when loaded from image files without scenes).
    public let scenes: [SortOfCLEVRScene]
    /// The question vocabulary and the padded token length of every batch.
    public let vocabulary: WordVocabulary
    public let maxTokens: Int
    /// The indices of each image's questions, in order.
    public let questionsOfImage: [[Int]]
    private let tokenIDs: [[Int]]

    /// A dataset over existing images and questions (`imageOfQuestion[q]` indexes `images`).
    public init(images: [RGBImage], questions: [SortOfCLEVRQuestion], imageOfQuestion: [Int],
                scenes: [SortOfCLEVRScene] = [], vocabulary: WordVocabulary = SortOfCLEVR.vocabulary) {
        precondition(questions.count == imageOfQuestion.count,
                     "SortOfCLEVRDataset: \(questions.count) questions but \(imageOfQuestion.count) image indices")
        precondition(imageOfQuestion.allSatisfy { images.indices.contains($0) },
                     "SortOfCLEVRDataset: a question refers to an image outside 0..<\(images.count)")
        precondition(scenes.isEmpty || scenes.count == images.count,
                     "SortOfCLEVRDataset: \(scenes.count) scenes for \(images.count) images")
        self.images = images
        self.questions = questions
        self.imageOfQuestion = imageOfQuestion
        self.scenes = scenes
        self.vocabulary = vocabulary
        var index = [[Int]](repeating: [], count: images.count)
        for (q, i) in imageOfQuestion.enumerated() { index[i].append(q) }
        questionsOfImage = index
        tokenIDs = questions.map { vocabulary.encode($0.text) }
        maxTokens = max(tokenIDs.map(\.count).max() ?? 0, SortOfCLEVR.maxTokens)
    }

    /// `count` generated images with their questions; image `i` depends only on (`seed`, `split`, `i`), so a
    /// split's first images are the same whatever `count` is, and the splits never share a stream.
    public static func generate(count: Int, seed: UInt64, split: SortOfCLEVR.Split,
                                generator: SortOfCLEVRGenerator = SortOfCLEVRGenerator(),
                                progress: ((Int) -> Void)? = nil) -> SortOfCLEVRDataset {
        var images: [RGBImage] = [], scenes: [SortOfCLEVRScene] = []
        var questions: [SortOfCLEVRQuestion] = [], imageOfQuestion: [Int] = []
        for i in 0..<count {
            let (scene, asked) = generator.example(seed: seed, split: split, index: i)
            scenes.append(scene)
            images.append(scene.render())
            questions += asked
            imageOfQuestion += Array(repeating: i, count: asked.count)
            progress?(i + 1)
        }
        return SortOfCLEVRDataset(images: images, questions: questions, imageOfQuestion: imageOfQuestion, scenes: scenes)
    }

    /// A batch of the questions at `indices`, each with its own copy of its image:
    /// images [B, 3, H, W] in 0…1, tokens [B, maxTokens] with padding mask, answers, kinds.
    public func batch(indices: [Int]) -> SortOfCLEVRBatch {
        makeBatch(questions: indices, images: indices.map { imageOfQuestion[$0] }, imageOfQuestion: Array(indices.indices))
    }

    /// All questions of the images at `imageIndices`, each image once: images [I, 3, H, W] and the questions
    /// (`imageOfQuestion` indexes the batch's images) — so an image encoder runs once per image.
    public func batch(imageIndices: [Int]) -> SortOfCLEVRBatch {
        var all = RandomGenerator(seed: 0)
        return batch(imageIndices: imageIndices, questionsPerImage: Int.max, using: &all)
    }

    /// `questionsPerImage` questions drawn without replacement from each image at `imageIndices` (all of them
    /// when it is at least the image's count), each image once — more images per batch for the same cost.
    public func batch(imageIndices: [Int], questionsPerImage: Int, using generator: inout RandomGenerator) -> SortOfCLEVRBatch {
        var questionList: [Int] = [], owners: [Int] = []
        for (position, image) in imageIndices.enumerated() {
            var own = questionsOfImage[image]
            if questionsPerImage < own.count {
                own.shuffle(using: &generator)
                own = Array(own.prefix(questionsPerImage)).sorted()
            }
            questionList += own
            owners += Array(repeating: position, count: own.count)
        }
        return makeBatch(questions: questionList, images: imageIndices, imageOfQuestion: owners)
    }

    private func makeBatch(questions indices: [Int], images imageIndices: [Int], imageOfQuestion owners: [Int]) -> SortOfCLEVRBatch {
        precondition(!imageIndices.isEmpty, "SortOfCLEVRDataset.batch: empty batch")
        let (ids, mask) = vocabulary.batch(indices.map { tokenIDs[$0] }, length: maxTokens)
        return SortOfCLEVRBatch(
            images: RGBImage.batchTensor(imageIndices.map { images[$0] }),
            tokens: ids, mask: mask,
            answers: indices.map { questions[$0].answer.rawValue },
            kinds: indices.map { questions[$0].kind },
            imageOfQuestion: owners,
            texts: indices.map { questions[$0].text })
    }
}

/// A training/evaluation batch of Sort-of-CLEVR questions.
public struct SortOfCLEVRBatch {
    /// Images [I, 3, H, W], values in 0…1.
    public let images: Tensor
    /// Question token ids, [B, maxTokens] row-major, padded with `WordVocabulary.paddingID`.
    public let tokens: [Int]
    /// [B, maxTokens] padding mask (true = padding).
    public let mask: Mask
    /// Answer class per question (`SortOfCLEVRAnswer.rawValue`).
    public let answers: [Int]
    public let kinds: [QuestionKind]
    /// For each question, the index of its image in `images`.
    public let imageOfQuestion: [Int]
    /// The question texts (for frozen text encoders that work from text).
    public let texts: [String]

    /// Number of questions.
    public var count: Int { answers.count }
    /// Token sequence length.
    public var tokenLength: Int { mask.shape[1] }
}
