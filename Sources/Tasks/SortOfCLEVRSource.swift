import CrossModal
import Foundation
import Imaging
import OwnData

/// Sort-of-CLEVR as a data source of the one training path: a split's generated images and questions as a
/// manifest held in memory (the same examples, in the same order, as the `manifest.jsonl` that
/// `SortOfCLEVRFiles.generate` writes), and the model configs the reproduction compares.
public enum SortOfCLEVRSource {
    /// The answers in class order (`labels.txt`, the paper's order), so class indices never depend on the data.
    public static let labels = SortOfCLEVRAnswer.allCases.map(\.description)

    /// `count` generated images of `split` under `seed` with their questions, each image in memory. Image `i`
    /// depends only on (`seed`, `split`, `i`), so the first images are the same whatever `count` is.
    public static func manifest(_ split: SortOfCLEVR.Split, count: Int, seed: UInt64,
                                generator: SortOfCLEVRGenerator = SortOfCLEVRGenerator()) -> Manifest {
        let name = "sort-of-clevr \(split.rawValue) split: \(count) images generated with data seed \(seed)"
        let settings = "\(name) size \(generator.imageSize) object \(generator.objectSize) gap \(generator.gap) "
            + "questions \(generator.nonRelational)+\(generator.relational) v1"
        let folder = URL(fileURLWithPath: "/generated/sort-of-clevr-\(seed)/\(split.rawValue)")
        var entries: [ManifestEntry] = []
        for i in 0..<count {
            let (scene, questions) = generator.example(seed: seed, split: split, index: i)
            entries += Self.entries(image: i, questions: questions, folder: folder, firstLine: entries.count + 1, pixels: scene.render())
        }
        return Manifest(url: folder.appendingPathComponent("manifest.jsonl"), entries: entries, name: name,
                        key: FeatureCache.key(Data(settings.utf8)))
    }

    /// The manifest entries of image `image`'s questions: text, answer label and group "relational/<kind>" or
    /// "non-relational/<kind>" (evaluation reports both levels), the image at `images/<6 digits>.png` in `folder`.
    static func entries(image: Int, questions: [SortOfCLEVRQuestion], folder: URL, firstLine: Int, pixels: RGBImage? = nil)
        -> [ManifestEntry] {
        let name = imageName(image)
        return questions.enumerated().map { n, q in
            ManifestEntry(line: firstLine + n, image: name, imageURL: folder.appendingPathComponent(name), text: q.text,
                          label: q.answer.description, group: group(q.kind), pixels: pixels)
        }
    }

    /// An image's path inside its split folder.
    static func imageName(_ image: Int) -> String { "\(SortOfCLEVRFiles.imagesFolder)/\(String(format: "%06d", image)).png" }

    /// The evaluation group of a question kind.
    public static func group(_ kind: QuestionKind) -> String { (kind.isRelational ? "relational/" : "non-relational/") + kind.rawValue }

    /// The model the reproduction trains for `fusion`: the paper's small CNN over 75×75 pixels, a learned question
    /// encoder or frozen MiniLM, `width` wide, answering with `labels`. The attention models' classifiers read
    /// `readout` (nil: the question's stream alone for co-attention, both streams for the reference
    /// cross-attention), with `regionSelfAttention` the co-attention layers let the regions attend to each
    /// other (with `referenceRegionSelfAttention` the regions attend to each other once before the reference
    /// cross-attention layer), with `textPointer` the question's second look is biased by where its first landed, and
    /// `textSharpening` multiplies the text's attention scores over the regions (an ablation, off by default), and
    /// `auxiliaryLossWeight` adds the loss of a second classifier over both streams to the text readout's (the
    /// quick schedule's): docs/SORT_OF_CLEVR_GROUNDING.md shows why co-attention grounds positions and solves
    /// "furthest" within the quick budget with the first two, "closest" with the third, and every run with the
    /// auxiliary classifier and the quick schedule's floor under the learning rate.
    public static func model(_ fusion: ImageTextModelConfig.Fusion, textEncoder: ImageTextModelConfig.TextEncoder = .learned,
                             width: Int = 64, readout: CrossAttentionFusion.Readout? = nil,
                             regionSelfAttention: Bool = true, referenceRegionSelfAttention: Bool = false, textPointer: Bool = true,
                             textSharpening: Float = 1, auxiliaryLossWeight: Float? = nil) -> ImageTextModelConfig {
        var config = ImageTextModelConfig(task: .classify, fusion: fusion, imageEncoder: .smallCNN, textEncoder: textEncoder)
        config.width = width
        if fusion == .crossAttention || fusion == .coAttention { config.readout = readout ?? (fusion == .coAttention ? .text : .bothStreams) }
        if fusion == .coAttention && regionSelfAttention { config.regionSelfAttention = true }
        if fusion == .crossAttention && referenceRegionSelfAttention { config.regionSelfAttention = true }
        if fusion == .coAttention && textPointer { config.textPointer = true }
        if fusion == .coAttention && textSharpening != 1 { config.textSharpening = textSharpening }
        if config.readout == .text { config.auxiliaryLossWeight = auxiliaryLossWeight }
        config.imageSize = SortOfCLEVRGenerator().imageSize
        return config
    }

    /// The co-attention model before issue 29's changes (both streams pooled, no region self-attention, no text
    /// pointer): what `bench serve` and `bench distributed` train, so that their README figures stay comparable.
    public static var earlierCoAttention: ImageTextModelConfig {
        model(.coAttention, readout: .bothStreams, regionSelfAttention: false, textPointer: false)
    }

    /// The fusions the reproduction compares (the dual encoder cannot answer questions).
    public static let fusions: [ImageTextModelConfig.Fusion] = [.concat, .gridMLP, .crossAttention, .coAttention]
}
