using Shop.Messaging;

namespace Shop.UnitTests.WaitingRoom;

/// <summary>Waiting-room passes: signed by the API, read anywhere with the same key, worthless when changed or misused.</summary>
public sealed class WaitingRoomPassTests
{
    private static readonly WaitingRoomPasses Passes = new(new string('k', WaitingRoomPasses.MinKeyLength));
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_admission_reads_back_exactly_as_it_was_signed()
    {
        var admission = new AdmissionClaims("black-friday", "ticket-1", 42, Now.AddMinutes(10));

        Assert.True(Passes.TryReadAdmission(Passes.Sign(admission), out var read));
        Assert.Equal(admission, read);
    }

    [Fact]
    public void A_ticket_reads_back_exactly_as_it_was_signed()
    {
        var ticket = new QueueTicket("black-friday", "ticket-1", 7, Now);

        Assert.True(Passes.TryReadTicket(Passes.Sign(ticket), out var read));
        Assert.Equal(ticket, read);
    }

    [Fact]
    public void A_ticket_never_passes_as_an_admission_nor_an_admission_as_a_ticket()
    {
        var ticket = Passes.Sign(new QueueTicket("s", "t", 1, Now));
        var admission = Passes.Sign(new AdmissionClaims("s", "t", 1, Now.AddMinutes(10)));

        Assert.False(Passes.TryReadAdmission(ticket, out _));
        Assert.False(Passes.TryReadTicket(admission, out _));
    }

    [Fact]
    public void A_pass_signed_with_another_key_is_refused()
    {
        var other = new WaitingRoomPasses(new string('x', WaitingRoomPasses.MinKeyLength));

        Assert.False(Passes.TryReadAdmission(other.Sign(new AdmissionClaims("s", "t", 1, Now.AddMinutes(10))), out _));
    }

    [Fact]
    public void A_pass_whose_claims_were_changed_is_refused()
    {
        var pass = Passes.Sign(new AdmissionClaims("s", "t", 1, Now.AddMinutes(10))).Split('.');
        var forged = Passes.Sign(new AdmissionClaims("s", "t", 1, Now.AddYears(1))).Split('.');

        Assert.False(Passes.TryReadAdmission($"{pass[0]}.{forged[1]}.{pass[2]}", out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a1")]
    [InlineData("a1.e30")]
    [InlineData("a1.e30.%%%")]
    [InlineData("a1.!!.AAAA")]
    [InlineData("a1.e30.AAAA.extra")]
    public void Malformed_passes_are_refused_without_throwing(string? pass) =>
        Assert.False(Passes.TryReadAdmission(pass, out _));

    [Fact]
    public void An_oversized_pass_is_refused_before_it_is_read() =>
        Assert.False(Passes.TryReadAdmission(new string('a', 1025), out _));

    [Fact]
    public void A_signing_key_shorter_than_the_minimum_is_refused_at_once() =>
        Assert.Throws<ArgumentException>(() => new WaitingRoomPasses(new string('k', WaitingRoomPasses.MinKeyLength - 1)));
}
