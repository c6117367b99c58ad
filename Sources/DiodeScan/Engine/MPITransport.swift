import DiodeMPI

/// The scan protocol over MPI point-to-point messages on `MPI_COMM_WORLD`.
///
/// Each `ScanMessage` case has its own tag; control messages carry `Int64`s,
/// finished tiles are one message of `Double`s, sent without blocking: the
/// tiles' payloads one after another, then each tile's payload length and
/// number, then the number of tiles. Rank 0 keeps each payload as a slice of
/// the received message (no copy). Only the main thread may use it (it holds a
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
        case request = 101, assign, results, stopRequested, stop, done, goodbye
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
        case .results(let finished):
            // Non-blocking: tile results are too large for Open MPI's eager
            // protocol, so a blocking send would wait (spinning a core) until
            // rank 0 gets round to receiving it. `poll` completes it.
            sendsInFlight.append(
                try communicator.sendNonBlocking(Self.message(for: finished), to: destination, tag: Tag.results.rawValue))
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
        if tag == .results {
            let values = try communicator.receive(Double.self, matching: envelope).values
            guard let finished = Self.finishedTiles(in: values) else {
                throw MPITransportError(description: "malformed tile results from rank \(envelope.source)")
            }
            return (envelope.source, .results(finished))
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
        case .results: preconditionFailure("handled above")  // internal: `.results` returned before this switch
        }
        return (envelope.source, message)
    }

    /// The `results` message of `finished` (layout in the type's description).
    static func message(for finished: [FinishedTile]) -> [Double] {
        var message: [Double] = []
        message.reserveCapacity(finished.reduce(2 * finished.count + 1) { $0 + $1.payload.count })
        for result in finished { message += result.payload }
        for result in finished { message += [Double(result.payload.count), Double(result.tile)] }
        message.append(Double(finished.count))
        return message
    }

    /// The tiles of a `results` message (layout in the type's description),
    /// or nil if it is not well formed.
    static func finishedTiles(in values: [Double]) -> [FinishedTile]? {
        // Counts and lengths come from another process: compared so that
        // no arithmetic on them can overflow.
        guard let last = values.last, let count = Int(exactly: last), count >= 0, count < values.count,
              2 * count + 1 <= values.count else { return nil }
        let table = values.count - 1 - 2 * count
        var finished: [FinishedTile] = []
        finished.reserveCapacity(count)
        var start = 0
        for k in 0..<count {
            guard let length = Int(exactly: values[table + 2 * k]), length >= 0, length <= table - start,
                  let tile = Int(exactly: values[table + 2 * k + 1]) else { return nil }
            finished.append(FinishedTile(tile: tile, payload: values[start..<(start + length)]))
            start += length
        }
        return start == table ? finished : nil
    }
}

public struct MPITransportError: Error, CustomStringConvertible {
    public var description: String
}
