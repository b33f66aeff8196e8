/// What ``RateLimitState/admitAndReserve(_:tokens:now:)`` decided for a request whose tokens are known when it is
/// admitted.
public enum TokenAdmission: Sendable, Equatable {
    /// Admitted, with its tokens held.
    case admitted(RequestTicket, TokenReservation)
    /// Refused. `ticket` is set when the request itself was admitted and only its tokens were refused: it counts
    /// against the requests per minute, and holds its slot until it is finished as any other.
    case refused(RateLimitRejection, ticket: RequestTicket?)
}
