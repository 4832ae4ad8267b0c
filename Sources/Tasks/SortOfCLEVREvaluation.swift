import Tensors

/// Accuracy of a model's answers, overall, per question kind and for relational / non-relational questions.
public struct SortOfCLEVREvaluation: Codable, Equatable, Sendable {
    /// Correct and total answers per question kind.
    public var correct: [QuestionKind: Int] = [:]
    public var total: [QuestionKind: Int] = [:]

    public init() {}

    /// Evaluates `model` on every question of `dataset` in eval mode, `imagesPerBatch` images at a time.
    public init(model: SortOfCLEVRModel, dataset: SortOfCLEVRDataset, imagesPerBatch: Int = 50) throws {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        for start in stride(from: 0, to: dataset.images.count, by: imagesPerBatch) {
            let batch = dataset.batch(imageIndices: Array(start..<min(start + imagesPerBatch, dataset.images.count)))
            let logits = try Tape.withoutRecording { try model(batch) }
            let classes = logits.shape[1]
            for (q, kind) in batch.kinds.enumerated() {
                let row = logits.data + q * classes
                let predicted = (0..<classes).max { row[$0] < row[$1] }!
                total[kind, default: 0] += 1
                if predicted == batch.answers[q] { correct[kind, default: 0] += 1 }
            }
        }
    }

    /// Accuracy over the kinds selected by `include` (0 when there are none).
    public func accuracy(_ include: (QuestionKind) -> Bool = { _ in true }) -> Double {
        let kinds = QuestionKind.allCases.filter(include)
        let n = kinds.reduce(0) { $0 + (total[$1] ?? 0) }
        return n == 0 ? 0 : Double(kinds.reduce(0) { $0 + (correct[$1] ?? 0) }) / Double(n)
    }

    public var relational: Double { accuracy { $0.isRelational } }
    public var nonRelational: Double { accuracy { !$0.isRelational } }
    public func accuracy(of kind: QuestionKind) -> Double { accuracy { $0 == kind } }
}
extension QuestionKind: CodingKeyRepresentable {}
