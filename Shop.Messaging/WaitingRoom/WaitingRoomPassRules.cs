using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Shop.Messaging;

/// <summary>Where a waiting-room pass travels: HttpOnly cookies from a browser, the same values in headers from other clients.</summary>
public static class WaitingRoomPassNames
{
    public const string TicketCookie = "shop.wr.ticket";
    public const string AdmissionCookie = "shop.wr.admission";
    public const string TicketHeader = "X-Waiting-Ticket";
    public const string AdmissionHeader = "X-Admission-Token";
}

/// <summary>The <c>WaitingRoom:SigningKey</c> every service checks passes with: the AppHost's secret parameter <c>waitingroom-key</c>.</summary>
public sealed class WaitingRoomPassOptions
{
    public const string SectionName = "WaitingRoom";

    [Required(ErrorMessage = "WaitingRoom:SigningKey is required (the AppHost passes its waitingroom-key parameter).")]
    [MinLength(WaitingRoomPasses.MinKeyLength)]
    public string SigningKey { get; set; } = "";
}

/// <summary>Why an admission does not let its holder shop; the values are the API's problem <c>reason</c> and metric tag.</summary>
public static class AdmissionRefusals
{
    public const string Missing = "missing";
    public const string Invalid = "invalid";
    public const string OtherSale = "other_sale";
    public const string Expired = "expired";
    public const string WrongTicket = "wrong_ticket";
}

/// <summary>The verdict on an admission: its claims when it holds, else why not (<see cref="AdmissionRefusals"/>).</summary>
public sealed record AdmissionCheck(AdmissionClaims? Claims, string? Refusal)
{
    public bool Holds => Refusal is null;
}

public static class WaitingRoomPassExtensions
{
    /// <summary>Registers <see cref="WaitingRoomPasses"/> with the signing key, checked when the service starts.</summary>
    public static IHostApplicationBuilder AddWaitingRoomPasses(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WaitingRoomPassOptions>().BindConfiguration(WaitingRoomPassOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(sp => new WaitingRoomPasses(sp.GetRequiredService<IOptions<WaitingRoomPassOptions>>().Value.SigningKey));
        return builder;
    }
}
