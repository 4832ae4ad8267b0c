import CrossModal
import NN
import Tensors

/// The training losses of an `ImageTextModel` on batches drawn from `ImageTextData`.
public enum ImageTextLoss {
    /// Classification: `imagesPerStep` images drawn uniformly (with replacement) and up to `textsPerImage` of
    /// each image's examples drawn without replacement (kept in manifest order); cross-entropy of the label
    /// logits, plus the auxiliary classifier's × its weight when the model has one. `prefetched(indices)` gives
    /// the images' tensor when it was built ahead of the step. With a `shard` of the batch (data-parallel
    /// training), only its images and their examples are computed, and the loss is scaled so that the mean over
    /// the shards is the whole batch's loss.
    public static func classification(_ model: ImageTextModel, data: ImageTextData, imagesPerStep: Int, textsPerImage: Int,
                                      shard: BatchShard = .whole, prefetched: ([Int]) throws -> Tensor? = { _ in nil },
                                      using generator: inout RandomGenerator) throws -> Tensor {
        let draw = shard.part(of: classificationDraw(data: data, imagesPerStep: imagesPerStep, textsPerImage: textsPerImage, using: &generator))
        let batch = try data.batch(examples: draw.examples, imageIndices: draw.images, owners: draw.owners, images: try prefetched(draw.images))
        let targets = draw.examples.map { data.labels[$0] }
        let (logits, auxiliary) = try model.trainingLogits(batch)
        var loss = crossEntropy(logits, targets: targets)
        if let auxiliary, let weight = model.config.auxiliaryLossWeight {
            loss = add(loss, mul(crossEntropy(auxiliary, targets: targets), Tensor(weight)))
        }
        return shard.count == 1 ? loss : mul(loss, Tensor(Float(draw.examples.count * shard.count) / Float(draw.total)))
    }

    /// The draws of one classification step: its images, and its examples with the position of each one's image.
    public static func classificationDraw(data: ImageTextData, imagesPerStep: Int, textsPerImage: Int,
                                          using generator: inout RandomGenerator) -> (images: [Int], examples: [Int], owners: [Int]) {
        let images = (0..<imagesPerStep).map { _ in generator.int(below: data.imageCount) }
        var examples: [Int] = [], owners: [Int] = []
        for (position, image) in images.enumerated() {
            var own = data.examplesOfImage[image]
            if textsPerImage < own.count {
                own.shuffle(using: &generator)
                own = Array(own.prefix(textsPerImage)).sorted()
            }
            examples += own
            owners += Array(repeating: position, count: own.count)
        }
        return (images, examples, owners)
    }

    /// Matching: `batchSize` distinct images (all of them when there are fewer), one of each image's texts.
    /// The dual encoder learns CLIP's symmetric contrastive loss over the batch; the other fusions learn
    /// ALBEF's two losses: image–text contrastive over the pooled projections (cosine / `contrastiveTemperature`),
    /// which aligns them so that their similarity ranks candidates (`RetrievalIndex`'s shortlist), plus
    /// image–text matching: each true pair, plus for each image a text and for each text an image of the batch
    /// drawn as hard negatives in proportion to exp(cosine) — gently, since drawing by softmax(cosine / 0.07) as
    /// ALBEF does lost 12 points of R@10 on the fashion scenes (README).
    /// `prefetched(indices)` gives the images' tensor when it was built ahead of the step.
    /// With a `shard` of the batch (data-parallel training), this process encodes only its images and texts;
    /// their embeddings and features are gathered from every shard (`gatherReplicaRows`), so the contrastive
    /// terms and the negatives are those of the whole batch, and each shard computes its part of the matching
    /// pairs, scaled so that the mean over the shards is the whole batch's loss.
    public static func matching(_ model: ImageTextModel, data: ImageTextData, batchSize: Int, shard: BatchShard = .whole,
                                prefetched: ([Int]) throws -> Tensor? = { _ in nil }, using generator: inout RandomGenerator) throws -> Tensor {
        let (images, examples) = matchingDraw(data: data, batchSize: batchSize, using: &generator)
        let b = images.count, mine = shard.range(of: b), lengths = data.textLengths(examples)
        let textLength = max(lengths.max() ?? 1, 1)
        let myImages = shard.part(of: images)
        let fused = try model.fusionBatch(try data.batch(examples: Array(examples[mine]), imageIndices: myImages, owners: Array(0..<mine.count),
                                                         images: try prefetched(myImages), textLength: textLength))
        let whole = { (x: Tensor) in shard.count == 1 ? x : gatherReplicaRows(x, rows: mine, total: b) }
        if let dual = model.fusion as? DualEncoder {
            let (v, t) = try dual.embed(fused)
            return contrastiveLoss(mul(matmul(whole(v), whole(t), transposeB: true), exp(minimum(dual.logitScale, Tensor(DualEncoder.maxLogitScale)))))
        }
        guard b >= 2 else { return crossEntropy(try model.fusion(fused), targets: [1]) }
        let logits = mul(matmul(whole(pooled(model.fusion, visual: fused.visual, mask: nil)),
                                whole(pooled(model.fusion, text: fused.text, mask: fused.textPaddingMask)), transposeB: true),
                         Tensor(1 / contrastiveTemperature))
        let negatives = sampleHardNegatives(similarity: mul(logits, Tensor(contrastiveTemperature)), using: &generator)
        let all = Array(0..<b)
        let pairs = shard.range(of: 3 * b)
        let imageRows = Array((all + all + negatives.imageForText)[pairs]), textRows = Array((all + negatives.textForImage + all)[pairs])
        let mask = shard.count == 1 ? fused.textPaddingMask : Mask.padding(lengths: lengths, maxLength: textLength)
        let batch = FusionBatch(visual: indexSelect(whole(fused.visual), axis: 0, indices: imageRows),
                                text: indexSelect(whole(fused.text), axis: 0, indices: textRows), textPaddingMask: mask?.rows(textRows))
        let targets = pairs.map { $0 < b ? 1 : 0 }
        var matching = crossEntropy(try model.fusion(batch), targets: targets)
        if shard.count > 1 { matching = mul(matching, Tensor(Float(pairs.count * shard.count) / Float(3 * b))) }
        return add(matching, contrastiveLoss(logits))
    }

    /// ALBEF's temperature of the image–text contrastive term of matching (its initial value there).
    public static let contrastiveTemperature: Float = 0.07

    /// The draws of one matching step before its negatives: distinct images, and one example of each.
    public static func matchingDraw(data: ImageTextData, batchSize: Int, using generator: inout RandomGenerator) -> (images: [Int], examples: [Int]) {
        let b = min(batchSize, data.imageCount)
        var images: [Int] = [], chosen = Set<Int>()
        while images.count < b {
            let i = generator.int(below: data.imageCount)
            if chosen.insert(i).inserted { images.append(i) }
        }
        return (images, images.map { data.examplesOfImage[$0][generator.int(below: data.examplesOfImage[$0].count)] })
    }

    /// The L2-normalised masked mean of the projected visual stream [B, width]: the dual encoder's image
    /// embedding, and for the other fusions the similarity hard negatives are drawn by.
    public static func pooled(_ fusion: any FusionModel, visual: Tensor, mask: Mask?) -> Tensor {
        l2Normalize(maskedMean(projectors(fusion).visual(visual), paddingMask: mask))
    }

    /// The same for the text stream.
    public static func pooled(_ fusion: any FusionModel, text: Tensor, mask: Mask?) -> Tensor {
        l2Normalize(maskedMean(projectors(fusion).text(text), paddingMask: mask))
    }

    private static func projectors(_ fusion: any FusionModel) -> (visual: FeatureProjector, text: FeatureProjector) {
        switch fusion {
        case let m as DualEncoder: (m.visualProjector, m.textProjector)
        case let m as ConcatFusion: (m.visualProjector, m.textProjector)
        case let m as CrossAttentionFusion: (m.visualProjector, m.textProjector)
        case let m as GridConcatFusion: (m.visualProjector, m.textProjector)
        default: preconditionFailure("ImageTextLoss: unknown fusion model \(type(of: fusion))")
        }
    }
}
