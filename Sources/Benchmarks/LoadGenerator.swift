import Foundation
import Glibc
import Histogram

/// A bounded HTTP load on 127.0.0.1: `clients` threads, each on a keep-alive HTTP/1.1 connection of its own,
/// sending its next request as soon as the answer to the last has arrived (a closed loop, like wrk), for a
/// warm-up and then a measured window, after which every thread stops by itself. Latencies go into an
/// HdrHistogram (microseconds, 3 significant digits).
public enum LoadGenerator {
    /// One request the clients send (they take them round-robin).
    public struct Request: Sendable {
        public let path: String, contentType: String, body: Data

        public init(path: String, contentType: String = "application/json", body: Data) {
            (self.path, self.contentType, self.body) = (path, contentType, body)
        }

        /// The bytes on the wire: a POST with its length.
        var wire: [UInt8] {
            Array("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
        }
    }

    /// What the measured window saw.
    public struct Result: Sendable {
        /// Latency of each answered request, microseconds.
        public var latencies = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        /// Answers with status 200, and the others (by status; 0 = the connection failed).
        public var ok = 0
        public var failures: [Int: Int] = [:]
        /// Sum of the `X-Batch-Size` headers of the 200 answers.
        public var batchSizes = 0
        public var seconds = 0.0

        public var requestsPerSecond: Double { Double(ok) / max(seconds, 1e-9) }
        public var meanBatchSize: Double { Double(batchSizes) / Double(max(ok, 1)) }
        /// The latency at `percentile` (0…100), milliseconds.
        public func milliseconds(_ percentile: Double) -> Double { Double(latencies.valueAtPercentile(percentile)) / 1000 }

        mutating func add(_ other: Result) {
            latencies.add(other.latencies)
            ok += other.ok
            batchSizes += other.batchSizes
            for (status, count) in other.failures { failures[status, default: 0] += count }
        }
    }

    /// Runs the load against `port` and returns the measured window's figures.
    public static func run(port: Int, clients: Int, warmUpSeconds: Double, seconds: Double, requests: [Request]) -> Result {
        precondition(clients >= 1 && seconds > 0 && !requests.isEmpty, "LoadGenerator.run: \(clients) clients, \(seconds) s, \(requests.count) requests")
        let wires = requests.map(\.wire)
        let start = Date().addingTimeInterval(warmUpSeconds), end = start.addingTimeInterval(seconds)
        var results = [Result](repeating: Result(), count: clients)
        let group = DispatchGroup()
        results.withUnsafeMutableBufferPointer { slots in
            let slots = UncheckedSendable(value: slots)
            for client in 0..<clients {
                group.enter()
                let thread = Thread {
                    var connection = Client(port: port)
                    slots.value[client] = connection.run(wires: wires, first: client, step: clients, measureFrom: start, until: end)
                    group.leave()
                }
                thread.stackSize = 1 << 20
                thread.start()
            }
            group.wait()
        }
        var total = Result()
        for result in results { total.add(result) }
        total.seconds = seconds
        return total
    }

    private struct UncheckedSendable<T>: @unchecked Sendable { let value: T }

    /// One keep-alive connection and its reading buffer.
    private struct Client {
        let port: Int
        private var fd: Int32 = -1
        private var buffer: [UInt8] = []

        init(port: Int) { self.port = port }

        mutating func run(wires: [[UInt8]], first: Int, step: Int, measureFrom start: Date, until end: Date) -> Result {
            var result = Result(), next = first
            defer { if fd >= 0 { close(fd) } }
            while Date() < end {
                let sent = Date()
                let answer = exchange(wires[next % wires.count])
                next += step
                guard sent >= start, Date() <= end else { continue }
                if let (status, batch) = answer, status == 200 {
                    result.ok += 1
                    result.batchSizes += batch
                    _ = result.latencies.record(UInt64(max(0, Date().timeIntervalSince(sent)) * 1e6))
                } else {
                    result.failures[answer?.status ?? 0, default: 0] += 1
                }
            }
            return result
        }

        /// Sends `wire` and reads the answer: its status and `X-Batch-Size` (0 when absent); nil when the
        /// connection failed (it is reopened for the next request).
        private mutating func exchange(_ wire: [UInt8]) -> (status: Int, batch: Int)? {
            if fd < 0 { guard connectSocket() else { return nil } }
            let written = wire.withUnsafeBytes { raw -> Bool in
                var offset = 0
                while offset < raw.count {
                    let n = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                    if n <= 0 { return false }
                    offset += n
                }
                return true
            }
            guard written, let answer = readAnswer() else {
                close(fd)
                fd = -1
                return nil
            }
            return answer
        }

        private mutating func connectSocket() -> Bool {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return false }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            var one: Int32 = 1, timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            buffer.removeAll(keepingCapacity: true)
            if connected != 0 { close(fd); fd = -1 }
            return fd >= 0
        }

        /// Reads one HTTP/1.1 answer with a Content-Length body.
        private mutating func readAnswer() -> (status: Int, batch: Int)? {
            var headerEnd: Int?
            while true {
                if let end = Self.find([13, 10, 13, 10], in: buffer) { headerEnd = end; break }
                guard fill() else { return nil }
            }
            let header = String(decoding: buffer[..<headerEnd!], as: UTF8.self).lowercased().split(separator: "\r\n")
            guard let statusLine = header.first, statusLine.count >= 12, let status = Int(statusLine.dropFirst(9).prefix(3)) else { return nil }
            func value(_ name: String) -> Int? {
                header.first { $0.hasPrefix(name + ":") }.flatMap { Int($0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)) }
            }
            let length = value("content-length") ?? 0, total = headerEnd! + 4 + length
            while buffer.count < total { guard fill() else { return nil } }
            buffer.removeFirst(total)
            return (status, value("x-batch-size") ?? 0)
        }

        private mutating func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return false }
            buffer += chunk[..<n]
            return true
        }

        private static func find(_ pattern: [UInt8], in bytes: [UInt8]) -> Int? {
            guard bytes.count >= pattern.count else { return nil }
            for i in 0...(bytes.count - pattern.count) where bytes[i] == pattern[0] && Array(bytes[i..<(i + pattern.count)]) == pattern { return i }
            return nil
        }
    }
}
