import Foundation
import HummingbirdTesting
import Logging
@testable import Serving
import XCTest

extension XCTestCase {
    /// Runs `body` against a live server for `bundle` (with the retrieval index `index`) on 127.0.0.1 and a free
    /// port (its port, and the server); the server stops when `body` returns or throws.
    func serve(_ bundle: URL, index: URL? = nil, limits: ServingLimits = ServingLimits(), logger: Logger? = nil,
               _ body: @Sendable (Int, ModelServer) async throws -> Void) async throws {
        var quiet = Logger(label: "serving-tests")
        quiet.logLevel = .warning
        let server = try ModelServer(model: bundle, limits: limits, logger: logger ?? quiet, cacheRoot: try ServingBundles.data.url("cache"),
                                     index: index)
        try await server.application(port: 0).test(.live) { client in try await body(client.port!, server) }
    }
}
