import Foundation
import HTTPTypes
import Imaging
import OwnData
import ServiceLifecycle

/// The model behind the routes: requests become jobs of a `DynamicBatcher`, whose own thread runs each batch as
/// one forward pass of the predictor (never on the event loop). As a `Service` it starts with the server and,
/// at shutdown (after the HTTP server has drained), lets the jobs still queued finish.
final class ModelEngine: Service, @unchecked Sendable {
    /// One request's inputs.
    enum Job {
        case answer(image: RGBImage, text: String, topK: Int, attention: Bool)
        case match(image: RGBImage, texts: [String])
        case retrieve(text: String, topK: Int)

        /// The route it came from, which is also its batching kind and its metrics label.
        var route: String {
            switch self {
            case .answer: "/v1/answer"
            case .match: "/v1/match"
            case .retrieve: "/v1/retrieve"
            }
        }
    }

    enum Output {
        case answer(ImageTextPredictor.Answer)
        case match([ImageTextPredictor.Match])
        case retrieve([RetrievalIndex.Hit])
    }

    let predictor: ImageTextPredictor
    /// The images `/v1/retrieve` searches, when the server has an index.
    let index: RetrievalIndex?
    private let shortlist: Int
    private var batcher: DynamicBatcher<Job, Output>!

    init(predictor: ImageTextPredictor, index: RetrievalIndex?, limits: ServingLimits, metrics: ServingMetrics) {
        (self.predictor, self.index, shortlist) = (predictor, index, limits.shortlist)
        batcher = DynamicBatcher(
            maxBatch: limits.maxBatch, maxWait: limits.batchWaitMilliseconds / 1000, maxQueue: limits.maxQueue, kind: \.route,
            process: { [unowned self] in run($0) }, observe: { metrics.batch(route: $0, size: $1, queueDepth: $2) })
    }

    /// One forward pass of a blank image and text, so the pretrained encoders are loaded and the buffers
    /// allocated before the first request rather than during it.
    func warmUp() throws {
        let image = RGBImage(width: 32, height: 32)
        _ = try forward([predictor.model.config.task == .classify
            ? .answer(image: image, text: "warm up", topK: 1, attention: predictor.hasAttention)
            : .match(image: image, texts: ["warm up"])])
    }

    func run() async throws {
        batcher.start()
        try? await gracefulShutdown()
        await withCheckedContinuation { done in
            DispatchQueue.global().async { [batcher] in
                batcher!.stop()
                done.resume()
            }
        }
    }

    /// Runs `job` in the next batch of its route: its output and the batch's size; 503 with `Retry-After`
    /// when the queue is full or the server is stopping.
    func submit(_ job: Job) async throws -> (Output, batchSize: Int) {
        do {
            return try await batcher.submit(job)
        } catch DynamicBatcher<Job, Output>.Refusal.queueFull(let limit) {
            throw APIError(.serviceUnavailable, code: "queue_full",
                           "the server is busy: \(limit) requests are already waiting (--max-queue); retry shortly", headers: [.retryAfter: "1"])
        } catch DynamicBatcher<Job, Output>.Refusal.stopped {
            throw APIError(.serviceUnavailable, code: "shutting_down", "the server is shutting down; retry on another instance", headers: [.retryAfter: "1"])
        }
    }

    /// One batch of one route's jobs as one forward pass; if the batch fails, each job alone, so that one
    /// request's failure is only its own.
    private func run(_ jobs: [Job]) -> [Result<Output, any Error>] {
        if jobs.count > 1, let outputs = try? forward(jobs) { return outputs.map { .success($0) } }
        return jobs.map { job in Result { try forward([job])[0] } }
    }

    private func forward(_ jobs: [Job]) throws -> [Output] {
        switch jobs[0] {
        case .answer:
            let questions = jobs.map { job -> (image: RGBImage, text: String, topK: Int, attention: Bool) in
                guard case let .answer(image, text, topK, attention) = job else { preconditionFailure("ModelEngine: mixed batch") }
                return (image, text, topK, attention)
            }
            let answers = try predictor.answer(questions.map { ($0.image, $0.text) }, topK: questions.map(\.topK).max()!,
                                               attention: questions.contains { $0.attention })
            return zip(questions, answers).map { question, answer in
                .answer(.init(labels: Array(answer.labels.prefix(question.topK)), attention: question.attention ? answer.attention : nil))
            }
        case .match:
            let queries = jobs.map { job -> (image: RGBImage, texts: [String]) in
                guard case let .match(image, texts) = job else { preconditionFailure("ModelEngine: mixed batch") }
                return (image, texts)
            }
            return try predictor.match(queries).map { .match($0) }
        case .retrieve:
            let queries = jobs.map { job -> (text: String, topK: Int) in
                guard case let .retrieve(text, topK) = job else { preconditionFailure("ModelEngine: mixed batch") }
                return (text, topK)
            }
            guard let index else { preconditionFailure("ModelEngine: a retrieval without an index") }
            let topK = queries.map(\.topK).max()!
            return zip(queries, try index.search(queries.map(\.text), topK: topK, shortlist: max(shortlist, topK))).map { .retrieve(Array($1.prefix($0.topK))) }
        }
    }
}
