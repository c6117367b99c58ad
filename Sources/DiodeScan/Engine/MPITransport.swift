import DiodeMPI

/// The scan protocol over MPI point-to-point messages on `MPI_COMM_WORLD`.
///
/// Each `ScanMessage` case has its own tag; control messages carry `Int64`s,
/// a tile result is one message of `Double`s (the tile number first, then
/// `TilePayload.encoded()`), sent without blocking. Only the main thread may use it (it holds a
/// `Communicator`, which is not `Sendable`).
public final class MPITransport: ScanTransport {
    private let communicator: Communicator
    public let rank: Int
    public let size: Int
    /// Tile results sent with `MPI_Isend` and not yet known to be complete;
    /// MPI's non-overtaking rule keeps them ahead of later messages to the
    /// same rank.
    private var sendsInFlight: [SendRequest] = []

    private enum Tag: Int, CaseIterable {
        case request = 101, assign, result, stopRequested, stop, done, goodbye
    }

    public init(communicator: Communicator = .world) throws {
        self.communicator = communicator
        rank = try communicator.rank
        size = try communicator.size
    }

    public func send(_ message: ScanMessage, to destination: Int) throws {
        switch message {
        case .request(let count):
            try communicator.send([Int64(count)], to: destination, tag: Tag.request.rawValue)
        case .assign(let tiles):
            try communicator.send(tiles.map(Int64.init), to: destination, tag: Tag.assign.rawValue)
        case .result(let tile, let payload):
            // Non-blocking: a tile result is too large for Open MPI's eager
            // protocol, so a blocking send would wait (spinning a core) until
            // rank 0 gets round to receiving it. `poll` completes it.
            sendsInFlight.append(
                try communicator.sendNonBlocking([Double(tile)] + payload, to: destination, tag: Tag.result.rawValue))
        case .stopRequested:
            try communicator.send([Int64](), to: destination, tag: Tag.stopRequested.rawValue)
        case .stop:
            try communicator.send([Int64](), to: destination, tag: Tag.stop.rawValue)
        case .done:
            try communicator.send([Int64](), to: destination, tag: Tag.done.rawValue)
        case .goodbye:
            try communicator.send([Int64](), to: destination, tag: Tag.goodbye.rawValue)
        }
    }

    public func poll() throws -> (source: Int, message: ScanMessage)? {
        try sendsInFlight.removeAll { request in try request.test() }
        guard let envelope = try communicator.iprobe() else { return nil }
        guard let tag = Tag(rawValue: envelope.tag) else {
            throw MPITransportError(description: "unexpected MPI message with tag \(envelope.tag) from rank \(envelope.source)")
        }
        if tag == .result {
            let values = try communicator.receive(Double.self, matching: envelope).values
            guard let first = values.first, let tile = Int(exactly: first) else {
                throw MPITransportError(description: "malformed tile result from rank \(envelope.source)")
            }
            return (envelope.source, .result(tile: tile, payload: values.dropFirst()))
        }
        let values = try communicator.receive(Int64.self, matching: envelope).values
        let message: ScanMessage
        switch tag {
        case .request:
            guard values.count == 1 else { throw MPITransportError(description: "malformed tile request from rank \(envelope.source)") }
            message = .request(count: Int(values[0]))
        case .assign: message = .assign(tiles: values.map { Int($0) })
        case .stopRequested: message = .stopRequested
        case .stop: message = .stop
        case .done: message = .done
        case .goodbye: message = .goodbye
        case .result: preconditionFailure("handled above")
        }
        return (envelope.source, message)
    }
}

public struct MPITransportError: Error, CustomStringConvertible {
    public var description: String
}
