import ArgumentParser
import Foundation
import OwnData

/// `crossmodal bench retrieval`: what the two-stage search of `/v1/retrieve` costs in recall and buys in time.
/// Every text of a manifest is a query whose right answer is its own image; the index is the manifest's images.
struct RetrievalBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieval",
        abstract: "Text→image retrieval of a matching bundle: R@1/5/10 and ms per query, every image scored vs a reranked shortlist.")

    @Option(help: "The matching model's run directory.")
    var model: String

    @Option(help: "A manifest whose images are the index and whose texts are the queries (each one's own image is the answer).")
    var index: String

    @Option(parsing: .upToNextOption, help: "Shortlist sizes to compare with scoring every image.")
    var shortlist: [Int] = [10, 20, 50]

    @Option(help: "Queries searched together.")
    var queriesPerBatch = 32

    func run() throws {
        let (bundle, model) = try ModelBundle.load(URL(fileURLWithPath: self.model))
        guard bundle.model.task == .match else { throw ValidationError("\(self.model) is a \(bundle.model.task.rawValue) model; retrieval needs --task match") }
        let manifest = try Manifest.load(URL(fileURLWithPath: index))
        let start = Date()
        let index = try RetrievalIndex(model: model, manifest: manifest, pipeline: InputPipeline(config: bundle.model))
        let position = Dictionary(index.names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let queries = manifest.entries.map(\.text), answers = manifest.entries.map { position[$0.image]! }
        print(String(format: "index: %d images of %@ (built in %.1f s), %d queries (its texts)", index.count, self.index,
                     Date().timeIntervalSince(start), queries.count))
        print("candidates reranked     R@1     R@5    R@10   ms/query")
        for size in [index.count] + shortlist.filter { $0 < index.count } {
            let clock = ContinuousClock(), began = clock.now
            var ranks: [Int] = []
            for first in stride(from: 0, to: queries.count, by: queriesPerBatch) {
                let rows = first..<min(first + queriesPerBatch, queries.count)
                let hits = try index.search(Array(queries[rows]), topK: 10, shortlist: max(size, 10))
                ranks += zip(rows, hits).map { q, list in list.firstIndex { $0.image == answers[q] } ?? Int.max }
            }
            let seconds = Double((clock.now - began).components.attoseconds) * 1e-18 + Double((clock.now - began).components.seconds)
            let recall = [1, 5, 10].map { k in 100 * Double(ranks.filter { $0 < k }.count) / Double(ranks.count) }
            let label = size == index.count ? "all \(size)" : "\(size) of \(index.count)"
            print(label.padding(toLength: 19, withPad: " ", startingAt: 0)
                  + String(format: " %6.1f%% %6.1f%% %6.1f%% %9.2f", recall[0], recall[1], recall[2], seconds * 1000 / Double(queries.count)))
        }
    }
}
