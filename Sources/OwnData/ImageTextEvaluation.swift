import CrossModal
import NN
import Tensors

/// Test metrics of an `ImageTextModel` on prepared data. Classification: accuracy overall, per label and per
/// group (a group "a/b" counts in "a" too); examples whose label training never saw count as wrong and are
/// listed in `unseenLabels`. Matching: recall at 1, 5 and 10 image→text (a hit when one of the image's own texts ranks in the top k among all texts)
/// and text→image (its image among all images), over every image and text.
public struct ImageTextEvaluation: Codable, Equatable, Sendable {
    public var examples = 0
    /// Correct answers and examples per label (classification).
    public var correct: [String: Int] = [:], total: [String: Int] = [:]
    /// Correct answers and examples per group (classification, examples with a group).
    public var groupCorrect: [String: Int] = [:], groupTotal: [String: Int] = [:]
    /// Examples per label that training never saw (classification).
    public var unseenLabels: [String: Int] = [:]
    /// R@1, R@5, R@10 (matching).
    public var imageToText: [Double] = [], textToImage: [Double] = []

    public static let recallKs = [1, 5, 10]

    public init() {}

    /// Evaluates `model` on `data` in eval mode without recording, `imagesPerBatch` images at a time.
    public init(model: ImageTextModel, data: ImageTextData, imagesPerBatch: Int = 50) throws {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        examples = data.count
        switch model.config.task {
        case .classify: try classify(model, data, imagesPerBatch)
        case .match: try retrieve(model, data, imagesPerBatch)
        }
    }

    /// Fraction of examples answered correctly (classification).
    public var accuracy: Double {
        let n = total.values.reduce(0, +)
        return n == 0 ? 0 : Double(correct.values.reduce(0, +)) / Double(n)
    }

    /// Accuracy on the examples of `group`.
    public func accuracy(group: String) -> Double {
        Double(groupCorrect[group] ?? 0) / Double(max(groupTotal[group] ?? 0, 1))
    }

    /// Accuracy on the examples labelled `label`.
    public func accuracy(label: String) -> Double { Double(correct[label] ?? 0) / Double(max(total[label] ?? 0, 1)) }

    /// The figures the trainer logs at each evaluation: `accuracy` and `group:<name>`, or `i2t_r1` … `t2i_r10`.
    public var metrics: [String: Double] {
        if imageToText.isEmpty {
            var m = ["accuracy": accuracy]
            for g in groupTotal.keys { m["group:\(g)"] = accuracy(group: g) }
            return m
        }
        var m: [String: Double] = [:]
        for (k, cut) in Self.recallKs.enumerated() {
            m["i2t_r\(cut)"] = imageToText[k]
            m["t2i_r\(cut)"] = textToImage[k]
        }
        return m
    }

    private mutating func classify(_ model: ImageTextModel, _ data: ImageTextData, _ imagesPerBatch: Int) throws {
        for start in stride(from: 0, to: data.imageCount, by: imagesPerBatch) {
            let images = Array(start..<min(start + imagesPerBatch, data.imageCount))
            let examples = images.flatMap { data.examplesOfImage[$0] }
            let logits = try Tape.withoutRecording { try model(data.batch(imageIndices: images)) }
            let classes = logits.shape[1]
            for (row, e) in examples.enumerated() {
                let p = logits.data + row * classes
                let predicted = (0..<classes).max { p[$0] < p[$1] }!
                let name = data.entries[e].label ?? "(none)"
                let right = data.labels[e] == predicted
                if data.labels[e] < 0 { unseenLabels[name, default: 0] += 1 }
                total[name, default: 0] += 1
                if right { correct[name, default: 0] += 1 }
                for g in Self.groups(data.entries[e].group) {
                    groupTotal[g, default: 0] += 1
                    if right { groupCorrect[g, default: 0] += 1 }
                }
            }
        }
    }

    private mutating func retrieve(_ model: ImageTextModel, _ data: ImageTextData, _ imagesPerBatch: Int) throws {
        let matrix = try PairScorer(model: model, data: data, imagesPerBatch: imagesPerBatch).matrix()
        let (n, m) = (data.imageCount, data.count)
        imageToText = Self.recall(queries: n, candidates: m, score: { matrix[$0 * m + $1] }, correct: { data.imageOfExample[$1] == $0 })
        textToImage = Self.recall(queries: m, candidates: n, score: { matrix[$1 * m + $0] }, correct: { data.imageOfExample[$0] == $1 })
    }

    /// The groups an example of `group` counts in: "a/b" is in "a" and in "a/b".
    static func groups(_ group: String?) -> [String] {
        guard let group else { return [] }
        let parts = group.split(separator: "/", omittingEmptySubsequences: false)
        return parts.indices.map { parts[...$0].joined(separator: "/") }
    }

    /// Recall at each of `ks`: the fraction of queries whose best-scored correct candidate ranks within the top k,
    /// its rank being the number of wrong candidates scoring at least as high (ties count against the model).
    public static func recall(queries: Int, candidates: Int, score: (Int, Int) -> Float, correct: (Int, Int) -> Bool,
                       ks: [Int] = recallKs) -> [Double] {
        var hits = [Int](repeating: 0, count: ks.count)
        for q in 0..<queries {
            let best = (0..<candidates).filter { correct(q, $0) }.map { score(q, $0) }.max() ?? -.infinity
            let rank = (0..<candidates).filter { !correct(q, $0) && score(q, $0) >= best }.count
            for (k, cut) in ks.enumerated() where rank < cut { hits[k] += 1 }
        }
        return hits.map { Double($0) / Double(max(queries, 1)) }
    }
}
