/// What `crossmodal serve` accepts and how it batches: each limit is a command-line option of the same name.
public struct ServingLimits: Sendable {
    /// Requests for one route gathered into one forward pass (`--max-batch`).
    public var maxBatch = 32
    /// How long the first request of a batch waits for others (`--batch-wait-ms`).
    public var batchWaitMilliseconds = 5.0
    /// Requests waiting for the engine before new ones get 503 (`--max-queue`).
    public var maxQueue = 256
    /// Largest request body, refused with 413 before it is read whole (`--max-body-bytes`).
    public var maxBodyBytes = 8 << 20
    /// Longest text, in characters (`--max-text-chars`).
    public var maxTextChars = 1_000
    /// Most texts in one match request.
    public var maxTexts = 64
    /// Most results one retrieval returns (`top_k`).
    public var maxTopK = 100
    /// Images of an index a retrieval reranks with the fusion model, picked by embedding similarity (`--shortlist`).
    public var shortlist = 50
    /// Longest image side accepted, in pixels.
    public var maxImageSide = 10_000
    /// Time given to requests in flight after SIGTERM or SIGINT (`--drain-seconds`).
    public var drainSeconds = 10.0

    public init() {}
}
