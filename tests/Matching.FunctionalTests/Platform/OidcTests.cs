using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Extensions.Time.Testing;
using System.Net.Http.Json;
using System.Text.Json;

namespace Matching.FunctionalTests;

/// <summary>
/// Issue 21: real people sign in. The production validation path runs against a real OpenID provider over HTTP
/// (<see cref="OidcIssuer"/>) instead of the development key: the app is given only the authority and the audience, as
/// on Azure; it fetches the discovery document and the keys itself, refreshes them when the provider rotates its key,
/// and refuses a token of another issuer, for another audience, expired, signed with a key the provider never
/// published, or signed with the development key. Roles and organisation come from the product's memberships: a token
/// with no custom claim works end to end once its person has accepted an invitation, and claims it carries are ignored.
/// </summary>
public sealed class OidcTests(OidcTests.Stack stack) : IClassFixture<OidcTests.Stack>
{
    private const string Audience = "api://matching-tests";

    /// <summary>One Azurite, one provider and one app for the class: each test works in organisations and with people of its own.</summary>
    public sealed class Stack : IAsyncLifetime
    {
        public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);
        public Azurite Azurite { get; private set; } = null!;
        public OidcIssuer Issuer { get; private set; } = null!;
        public MatchingApp App { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Azurite = await Azurite.StartAsync();
            Issuer = await OidcIssuer.StartAsync();
            App = new MatchingApp(Azurite.ConnectionString, new Dictionary<string, string?>
            {
                ["Matching:HostJsonPath"] = MatchingApp.FastHostJson(),
                ["Auth:Authority"] = Issuer.Authority,
                ["Auth:Audience"] = Audience,
            }, Clock);
            _ = App.Server;
        }

        public async Task DisposeAsync()
        {
            await App.DisposeAsync();
            await Issuer.DisposeAsync();
            await Azurite.DisposeAsync();
        }
    }

    private FakeTimeProvider Clock => stack.Clock;
    private OidcIssuer Issuer => stack.Issuer;
    private MatchingApp App => stack.App;

    /// <summary>A subject no other test uses.</summary>
    private static string Someone(string who) => $"{who}-{Guid.NewGuid():N}"[..24];

    /// <summary>A person as the provider names them: a subject, and no role or organisation claim.</summary>
    private static Claim[] Person(string subject) => [new(Caller.SubjectClaim, subject)];

    private string TokenOf(string subject) => Issuer.Mint(Person(subject), Audience);

    /// <summary>A platform operator: the Entra app role <c>Operator</c>, the one claim the product reads.</summary>
    private string OperatorToken() => Issuer.Mint([new(Caller.SubjectClaim, "operator-1"), new(Caller.EntraRolesClaim, "Operator")], Audience);

    private HttpClient Client(string token, string? organisation = null)
    {
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (organisation is not null) client.DefaultRequestHeaders.Add("X-Organisation", organisation);
        return client;
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}, expected {(int)expected}: {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The operator creates an NGO; its first admin and a staff member accept their invitations.</summary>
    private async Task<(string Org, string Admin, string Staff, string StaffSubject)> NgoWithStaffAsync()
    {
        var (adminSubject, staffSubject) = (Someone("admin"), Someone("staff"));
        var org = $"ngo-{Guid.NewGuid():N}"[..16];
        using var op = Client(OperatorToken());
        await Json(await op.PostAsJsonAsync("/api/organisations", new { id = org, name = "Konexio", kind = "ngo", siret = "73282932000074" }), HttpStatusCode.Created);
        var adminInvite = await Json(await op.PostAsJsonAsync($"/api/organisations/{org}/invitations", new { email = "admin@example.org", role = "admin" }), HttpStatusCode.Created);
        await Json(await Client(TokenOf(adminSubject)).PostAsJsonAsync("/api/invitations/accept", new { token = adminInvite.GetProperty("token").GetString() }), HttpStatusCode.Created);
        var staffInvite = await Json(await Client(TokenOf(adminSubject)).PostAsJsonAsync($"/api/organisations/{org}/invitations", new { email = "staff@example.org", role = "ngo" }), HttpStatusCode.Created);
        await Json(await Client(TokenOf(staffSubject)).PostAsJsonAsync("/api/invitations/accept", new { token = staffInvite.GetProperty("token").GetString() }), HttpStatusCode.Created);
        return (org, TokenOf(adminSubject), TokenOf(staffSubject), staffSubject);
    }

    private async Task<HttpStatusCode> BrowseAsync(string token)
    {
        using var client = Client(token);
        return (await client.GetAsync("/api/offers")).StatusCode;
    }

    [Fact]
    public async Task A_token_with_no_role_or_org_claim_works_end_to_end_once_its_person_is_a_member()
    {
        // Before any invitation: signed in, but nobody here yet.
        var forbidden = await Client(TokenOf(Someone("newcomer"))).PostAsJsonAsync("/api/learners", new { displayName = "Amina" });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Contains("invitation", await forbidden.Content.ReadAsStringAsync());
        Assert.True(Issuer.KeyFetches >= 1, "the app fetched the provider's keys itself");

        var (org, admin, staff, _) = await NgoWithStaffAsync();
        // The staff member works as an NGO's staff does today, in their organisation.
        var learner = await Json(await Client(staff).PostAsJsonAsync("/api/learners", new { displayName = "Amina" }), HttpStatusCode.Created);
        var id = learner.GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await Client(staff).GetAsync($"/api/learners/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client(staff).GetAsync($"/api/learners/{id}/data")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Client(staff).DeleteAsync($"/api/learners/{id}")).StatusCode);
        var mine = await Json(await Client(staff).GetAsync("/api/me/memberships"), HttpStatusCode.OK);
        Assert.Equal((org, "ngo"), (mine[0].GetProperty("organisationId").GetString(), mine[0].GetProperty("role").GetString()));
        // Staff are not admins: the organisation's members and audit are its admins'.
        Assert.Equal(HttpStatusCode.Forbidden, (await Client(staff).GetAsync($"/api/organisations/{org}/memberships")).StatusCode);
        var members = await Json(await Client(admin).GetAsync($"/api/organisations/{org}/memberships"), HttpStatusCode.OK);
        Assert.Equal(["admin", "ngo"], members.EnumerateArray().Select(m => m.GetProperty("role").GetString()).Order());
        var audit = await Json(await Client(admin).GetAsync($"/api/organisations/{org}/audit"), HttpStatusCode.OK);
        var actions = audit.EnumerateArray().Select(a => a.GetProperty("action").GetString()).ToList();
        Assert.Equal(2, actions.Count(a => a == "membership.added"));
        Assert.Equal(2, actions.Count(a => a == "invitation.created"));
        // Exports and erasures too, by whom (an opaque person id) and of what (the learner's id).
        var staffId = members.EnumerateArray().Single(m => m.GetProperty("role").GetString() == "ngo").GetProperty("personId").GetString();
        Assert.All(audit.EnumerateArray().Where(a => a.GetProperty("action").GetString() is "learner.exported" or "learner.erased"),
            a => Assert.Equal((staffId, id), (a.GetProperty("actor").GetString(), a.GetProperty("target").GetString())));
        Assert.Equal(2, actions.Count(a => a is "learner.exported" or "learner.erased"));
        Assert.DoesNotContain("example.org", audit.GetRawText()); // ids only, no email
        // Readable in the reader's language (issue 29, item 10), the codes staying codes.
        var french = new HttpRequestMessage(HttpMethod.Get, $"/api/organisations/{org}/audit");
        french.Headers.AcceptLanguage.ParseAdd("fr");
        var lu = await Json(await Client(admin).SendAsync(french), HttpStatusCode.OK);
        var joined = lu.EnumerateArray().Single(a => a.GetProperty("action").GetString() == "membership.added" && a.GetProperty("details").GetProperty("role").GetString() == "ngo");
        Assert.Equal(staffId, joined.GetProperty("target").GetString());
        Assert.StartsWith($"{staffId} a rejoint l'organisation comme personnel de l'association (invitation ", joined.GetProperty("summary").GetString());
        var exported = lu.EnumerateArray().First(a => a.GetProperty("action").GetString() == "learner.exported");
        Assert.Equal($"{staffId} a exporté les données de la personne accompagnée {id}", exported.GetProperty("summary").GetString());
    }

    [Fact]
    public async Task Role_and_organisation_claims_in_a_provider_token_are_ignored()
    {
        var (org, _, _, staffSubject) = await NgoWithStaffAsync();
        var claiming = Issuer.Mint([new(Caller.SubjectClaim, staffSubject), new(Caller.RoleClaim, "operator"), new(Caller.OrganisationClaim, "another-org")], Audience);
        // Acts as what the membership says: staff of the NGO, not an operator, not another organisation.
        Assert.Equal(HttpStatusCode.Forbidden, (await Client(claiming).PostAsJsonAsync("/api/organisations", new { id = "x-org", name = "X", kind = "ngo", siret = "73282932000074" })).StatusCode);
        var mine = await Json(await Client(claiming).GetAsync("/api/me/memberships"), HttpStatusCode.OK);
        Assert.Equal(org, Assert.Single(mine.EnumerateArray()).GetProperty("organisationId").GetString());
    }

    [Fact]
    public async Task A_member_of_several_organisations_names_one_per_request()
    {
        var (first, _, staff, _) = await NgoWithStaffAsync();
        var (second, secondAdmin, _, _) = await NgoWithStaffAsync();
        var invite = await Json(await Client(secondAdmin).PostAsJsonAsync($"/api/organisations/{second}/invitations", new { email = "staff@example.org", role = "ngo" }), HttpStatusCode.Created);
        await Json(await Client(staff).PostAsJsonAsync("/api/invitations/accept", new { token = invite.GetProperty("token").GetString() }), HttpStatusCode.Created);

        var unnamed = await Client(staff).PostAsJsonAsync("/api/learners", new { displayName = "Yusuf" });
        Assert.Equal(HttpStatusCode.BadRequest, unnamed.StatusCode);
        Assert.Contains("X-Organisation", await unnamed.Content.ReadAsStringAsync());
        var inSecond = await Json(await Client(staff, second).PostAsJsonAsync("/api/learners", new { displayName = "Yusuf" }), HttpStatusCode.Created);
        var id = inSecond.GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await Client(staff, second).GetAsync($"/api/learners/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client(staff, first).GetAsync($"/api/learners/{id}")).StatusCode); // the other organisation's
        Assert.Equal(HttpStatusCode.Forbidden, (await Client(staff, "not-mine").GetAsync($"/api/learners/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Client(staff, "bad org!").GetAsync($"/api/learners/{id}")).StatusCode);
    }

    [Fact]
    public async Task Removing_a_membership_takes_effect_on_the_next_request_and_the_last_admin_stays()
    {
        var (org, admin, staff, _) = await NgoWithStaffAsync();
        Assert.Equal(HttpStatusCode.OK, await BrowseAsync(staff));
        var members = await Json(await Client(admin).GetAsync($"/api/organisations/{org}/memberships"), HttpStatusCode.OK);
        var staffId = members.EnumerateArray().Single(m => m.GetProperty("role").GetString() == "ngo").GetProperty("personId").GetString();
        var adminId = members.EnumerateArray().Single(m => m.GetProperty("role").GetString() == "admin").GetProperty("personId").GetString();
        // A role change takes effect on the next request: staff made admin may list the members, then back again may not.
        Assert.Equal(HttpStatusCode.NoContent, (await Client(admin).PutAsJsonAsync($"/api/organisations/{org}/memberships/{staffId}", new { role = "admin" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client(staff).GetAsync($"/api/organisations/{org}/memberships")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Client(admin).PutAsJsonAsync($"/api/organisations/{org}/memberships/{staffId}", new { role = "ngo" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Client(staff).GetAsync($"/api/organisations/{org}/memberships")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Client(admin).PutAsJsonAsync($"/api/organisations/{org}/memberships/{staffId}", new { role = "provider" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await Client(admin).PutAsJsonAsync($"/api/organisations/{org}/memberships/{adminId}", new { role = "ngo" })).StatusCode);
        var changes = await Json(await Client(admin).GetAsync($"/api/organisations/{org}/audit"), HttpStatusCode.OK);
        Assert.Equal(2, changes.EnumerateArray().Count(a => a.GetProperty("action").GetString() == "membership.role-changed"));

        Clock.Advance(TimeSpan.FromSeconds(1)); // the app's clock stands still otherwise, and the audit is ordered by time
        Assert.Equal(HttpStatusCode.NoContent, (await Client(admin).DeleteAsync($"/api/organisations/{org}/memberships/{staffId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, await BrowseAsync(staff));
        Assert.Equal(HttpStatusCode.Conflict, (await Client(admin).DeleteAsync($"/api/organisations/{org}/memberships/{adminId}")).StatusCode);
        var audit = await Json(await Client(admin).GetAsync($"/api/organisations/{org}/audit"), HttpStatusCode.OK);
        Assert.Equal("membership.removed", audit[0].GetProperty("action").GetString()); // newest first
        Assert.Equal(staffId, audit[0].GetProperty("target").GetString());
    }

    [Fact]
    public async Task An_invitation_is_accepted_once_within_seven_days()
    {
        var (org, admin, _, _) = await NgoWithStaffAsync();
        var invite = await Json(await Client(admin).PostAsJsonAsync($"/api/organisations/{org}/invitations", new { email = "new@example.org", role = "ngo" }), HttpStatusCode.Created);
        var token = invite.GetProperty("token").GetString();
        var (newcomer, other) = (Someone("new"), Someone("other"));
        await Json(await Client(TokenOf(newcomer)).PostAsJsonAsync("/api/invitations/accept", new { token }), HttpStatusCode.Created);
        await Json(await Client(TokenOf(newcomer)).PostAsJsonAsync("/api/invitations/accept", new { token }), HttpStatusCode.Gone); // spent, whoever sends it
        await Json(await Client(TokenOf(other)).PostAsJsonAsync("/api/invitations/accept", new { token }), HttpStatusCode.Gone);
        await Json(await Client(TokenOf(other)).PostAsJsonAsync("/api/invitations/accept", new { token = new string('a', 43) }), HttpStatusCode.NotFound);

        // Admins see what is pending, and withdraw an invitation: its token stops working.
        var withdrawn = await Json(await Client(admin).PostAsJsonAsync($"/api/organisations/{org}/invitations", new { email = "changed-mind@example.org", role = "ngo" }), HttpStatusCode.Created);
        var pending = await Json(await Client(admin).GetAsync($"/api/organisations/{org}/invitations"), HttpStatusCode.OK);
        Assert.Equal(["changed-mind@example.org"], pending.EnumerateArray().Select(i => i.GetProperty("email").GetString()));
        Assert.DoesNotContain("token", pending.GetRawText());
        Assert.Equal(HttpStatusCode.NoContent, (await Client(admin).DeleteAsync($"/api/organisations/{org}/invitations/{withdrawn.GetProperty("id").GetString()}")).StatusCode);
        await Json(await Client(TokenOf(Someone("late"))).PostAsJsonAsync("/api/invitations/accept", new { token = withdrawn.GetProperty("token").GetString() }), HttpStatusCode.NotFound);
        Assert.Empty((await Json(await Client(admin).GetAsync($"/api/organisations/{org}/invitations"), HttpStatusCode.OK)).EnumerateArray());

        var late = await Json(await Client(admin).PostAsJsonAsync($"/api/organisations/{org}/invitations", new { email = "late@example.org", role = "ngo" }), HttpStatusCode.Created);
        Clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        await Json(await Client(TokenOf(Someone("late"))).PostAsJsonAsync("/api/invitations/accept", new { token = late.GetProperty("token").GetString() }), HttpStatusCode.Gone);
        // A day later the purge deletes it, and the address it held with it.
        Clock.Advance(TimeSpan.FromDays(1));
        await App.RunTimerAsync("PurgeExpiredInvitations");
        Assert.DoesNotContain(App.Table("invitations").Query<Azure.Data.Tables.TableEntity>(), e => e.GetString("Email") == "late@example.org");
        await Json(await Client(TokenOf(Someone("late"))).PostAsJsonAsync("/api/invitations/accept", new { token = late.GetProperty("token").GetString() }), HttpStatusCode.NotFound);
        // A role the organisation does not have, and an address that is not one, are refused.
        await Json(await Client(admin).PostAsJsonAsync($"/api/organisations/{org}/invitations", new { email = "p@example.org", role = "provider" }), HttpStatusCode.BadRequest);
        await Json(await Client(admin).PostAsJsonAsync($"/api/organisations/{org}/invitations", new { email = "not an address", role = "ngo" }), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_removed_member_or_a_demoted_admin_replaying_their_spent_invitation_is_refused_and_audited()
    {
        var (org, admin, staff, _) = await NgoWithStaffAsync();
        var members = await Json(await Client(admin).GetAsync($"/api/organisations/{org}/memberships"), HttpStatusCode.OK);
        var staffId = members.EnumerateArray().Single(m => m.GetProperty("role").GetString() == "ngo").GetProperty("personId").GetString();
        // A second admin, who is then demoted; the staff member is removed.
        var second = Someone("second");
        var adminInvite = await Json(await Client(admin).PostAsJsonAsync($"/api/organisations/{org}/invitations", new { email = "second@example.org", role = "admin" }), HttpStatusCode.Created);
        var adminToken = adminInvite.GetProperty("token").GetString();
        var joined = await Json(await Client(TokenOf(second)).PostAsJsonAsync("/api/invitations/accept", new { token = adminToken }), HttpStatusCode.Created);
        var secondId = joined.GetProperty("personId").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await Client(admin).PutAsJsonAsync($"/api/organisations/{org}/memberships/{secondId}", new { role = "ngo" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Client(admin).DeleteAsync($"/api/organisations/{org}/memberships/{staffId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, await BrowseAsync(staff));

        // The staff member's own invitation is not in this test's hands, so a new one plays it: spent by them, then replayed.
        var again = await Json(await Client(admin).PostAsJsonAsync($"/api/organisations/{org}/invitations", new { email = "staff@example.org", role = "ngo" }), HttpStatusCode.Created);
        await Json(await Client(staff).PostAsJsonAsync("/api/invitations/accept", new { token = again.GetProperty("token").GetString() }), HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.OK, await BrowseAsync(staff)); // a new invitation undoes a removal
        Assert.Equal(HttpStatusCode.NoContent, (await Client(admin).DeleteAsync($"/api/organisations/{org}/memberships/{staffId}")).StatusCode);
        await Json(await Client(staff).PostAsJsonAsync("/api/invitations/accept", new { token = again.GetProperty("token").GetString() }), HttpStatusCode.Gone);
        Assert.Equal(HttpStatusCode.Forbidden, await BrowseAsync(staff));
        await Json(await Client(TokenOf(second)).PostAsJsonAsync("/api/invitations/accept", new { token = adminToken }), HttpStatusCode.Gone);
        var after = await Json(await Client(admin).GetAsync($"/api/organisations/{org}/memberships"), HttpStatusCode.OK);
        Assert.Equal("ngo", after.EnumerateArray().Single(m => m.GetProperty("personId").GetString() == secondId).GetProperty("role").GetString());
        Assert.DoesNotContain(after.EnumerateArray(), m => m.GetProperty("personId").GetString() == staffId);
        var refused = (await Json(await Client(admin).GetAsync($"/api/organisations/{org}/audit"), HttpStatusCode.OK)).EnumerateArray()
            .Where(a => a.GetProperty("action").GetString() == "invitation.replay-refused").Select(a => a.GetProperty("actor").GetString()).ToList();
        Assert.Equal(2, refused.Count);
        Assert.Contains(secondId, refused);
        Assert.Contains(staffId, refused);
    }

    [Fact]
    public async Task The_last_admin_accepting_a_staff_invitation_to_their_own_organisation_stays_admin()
    {
        var (org, admin, _, _) = await NgoWithStaffAsync();
        var invite = await Json(await Client(admin).PostAsJsonAsync($"/api/organisations/{org}/invitations", new { email = "me@example.org", role = "ngo" }), HttpStatusCode.Created);
        await Json(await Client(admin).PostAsJsonAsync("/api/invitations/accept", new { token = invite.GetProperty("token").GetString() }), HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.OK, (await Client(admin).GetAsync($"/api/organisations/{org}/memberships")).StatusCode); // still an admin
        // Unspent: someone else may still accept it.
        await Json(await Client(TokenOf(Someone("colleague"))).PostAsJsonAsync("/api/invitations/accept", new { token = invite.GetProperty("token").GetString() }), HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("remove"), InlineData("demote")]
    public async Task Two_admins_removing_or_demoting_each_other_at_once_always_leave_an_admin(string how)
    {
        for (var round = 0; round < 8; round++)
        {
            var (org, first, _, _) = await NgoWithStaffAsync();
            var other = Someone("other");
            var invite = await Json(await Client(first).PostAsJsonAsync($"/api/organisations/{org}/invitations", new { email = "other@example.org", role = "admin" }), HttpStatusCode.Created);
            await Json(await Client(TokenOf(other)).PostAsJsonAsync("/api/invitations/accept", new { token = invite.GetProperty("token").GetString() }), HttpStatusCode.Created);
            var second = TokenOf(other);
            var firstId = (await Json(await Client(first).GetAsync("/api/me/memberships"), HttpStatusCode.OK))[0].GetProperty("personId").GetString();
            var secondId = (await Json(await Client(second).GetAsync("/api/me/memberships"), HttpStatusCode.OK))[0].GetProperty("personId").GetString();

            using var start = new SemaphoreSlim(0);
            var calls = Enumerable.Range(0, 24).Select(async i =>
            {
                var (caller, target) = i % 2 == 0 ? (first, secondId) : (second, firstId);
                await start.WaitAsync();
                using var client = Client(caller);
                return how == "remove"
                    ? await client.DeleteAsync($"/api/organisations/{org}/memberships/{target}")
                    : await client.PutAsJsonAsync($"/api/organisations/{org}/memberships/{target}", new { role = "ngo" });
            }).ToList();
            start.Release(calls.Count);
            var answers = await Task.WhenAll(calls);
            Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.Conflict or HttpStatusCode.NotFound or HttpStatusCode.Forbidden,
                a.StatusCode.ToString()));

            // From every side: the organisation's list, and what each admin may still do.
            var left = (await Json(await Client(OperatorToken()).GetAsync($"/api/organisations/{org}/memberships"), HttpStatusCode.OK)).EnumerateArray()
                .Where(m => m.GetProperty("role").GetString() == "admin").Select(m => m.GetProperty("personId").GetString()).ToList();
            Assert.Single(left);
            var canList = 0;
            foreach (var token in new[] { first, second })
                if ((await Client(token).GetAsync($"/api/organisations/{org}/memberships")).StatusCode == HttpStatusCode.OK) canList++;
            Assert.Equal(1, canList);
        }
    }

    [Fact]
    public async Task A_volunteer_signs_up_by_themselves_in_an_open_network_accepting_the_charter_then_mentors()
    {
        using var op = Client(OperatorToken());
        var network = $"net-{Guid.NewGuid():N}"[..16];
        await Json(await op.PostAsJsonAsync("/api/organisations", new { id = network, name = "Bénévoles pro", kind = "volunteerNetwork" }), HttpStatusCode.Created);
        var volunteer = TokenOf(Someone("volunteer"));
        var charter = await Json(await Client(volunteer).GetAsync("/api/charter"), HttpStatusCode.OK);
        var version = charter.GetProperty("version").GetString();
        // Not open yet: it looks like no network at all.
        await Json(await Client(volunteer).PostAsJsonAsync($"/api/organisations/{network}/volunteers", new { charterVersion = version }), HttpStatusCode.NotFound);
        await Json(await op.PutAsJsonAsync($"/api/organisations/{network}/self-sign-up", new { open = true }), HttpStatusCode.OK);
        await Json(await Client(volunteer).PostAsJsonAsync($"/api/organisations/{network}/volunteers", new { charterVersion = "2001-01" }), HttpStatusCode.Conflict);
        var joined = await Json(await Client(volunteer).PostAsJsonAsync($"/api/organisations/{network}/volunteers", new { charterVersion = version }), HttpStatusCode.Created);
        Assert.Equal("mentor", joined.GetProperty("role").GetString());
        await Json(await Client(volunteer).PostAsJsonAsync($"/api/organisations/{network}/volunteers", new { charterVersion = version }), HttpStatusCode.OK); // again: the same membership

        // Now a mentor: their profile, as any mentor's.
        var profile = new
        {
            displayName = "Karim", contactEmail = "karim@example.org", languages = new[] { new { language = "fr", level = "native" } },
            expertise = new[] { "cvReview" }, modes = new[] { "video" }, capacity = 2,
            availability = new { timeZone = "Europe/Paris", slots = new[] { new { day = "monday", start = "18:00:00", end = "20:00:00" } } },
        };
        var saved = await Client(volunteer).PutAsJsonAsync("/api/mentors/me", profile);
        Assert.True(saved.IsSuccessStatusCode, $"{(int)saved.StatusCode}: {await saved.Content.ReadAsStringAsync()}");
        Assert.Equal(HttpStatusCode.OK, (await Client(volunteer).GetAsync("/api/mentors/me")).StatusCode);
        // An NGO cannot be joined this way.
        var (ngo, _, _, _) = await NgoWithStaffAsync();
        await Json(await Client(TokenOf(Someone("volunteer"))).PostAsJsonAsync($"/api/organisations/{ngo}/volunteers", new { charterVersion = version }), HttpStatusCode.NotFound);
        var audit = await Json(await op.GetAsync($"/api/organisations/{network}/audit"), HttpStatusCode.OK);
        Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("action").GetString() == "volunteer.signed-up"
            && a.GetProperty("details").GetProperty("charter").GetString() == version && a.GetProperty("summary").GetString()!.EndsWith($"a rejoint le réseau comme mentor bénévole (charte {version})")); // people read French by default
    }

    [Fact]
    public async Task Organisations_need_a_valid_siret_and_admins_see_only_their_own()
    {
        using var op = Client(OperatorToken());
        var bad = await Json(await op.PostAsJsonAsync("/api/organisations", new { id = "bad-siret", name = "Bad", kind = "ngo", siret = "73282932000075" }), HttpStatusCode.BadRequest);
        Assert.True(bad.GetProperty("errors").TryGetProperty("siret", out _));
        var (first, firstAdmin, _, _) = await NgoWithStaffAsync();
        var (second, _, _, _) = await NgoWithStaffAsync();
        await Json(await op.PostAsJsonAsync("/api/organisations", new { id = first, name = "Again", kind = "ngo", siret = "73282932000074" }), HttpStatusCode.Conflict);
        var seen = await Json(await Client(firstAdmin).GetAsync("/api/organisations"), HttpStatusCode.OK);
        Assert.Equal([first], seen.EnumerateArray().Select(o => o.GetProperty("id").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await Client(firstAdmin).GetAsync($"/api/organisations/{second}/memberships")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client(firstAdmin).GetAsync($"/api/organisations/{second}/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client(firstAdmin).PostAsJsonAsync($"/api/organisations/{second}/invitations", new { email = "x@example.org", role = "admin" })).StatusCode);
        var all = await Json(await op.GetAsync("/api/organisations"), HttpStatusCode.OK);
        Assert.Contains(second, all.EnumerateArray().Select(o => o.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Tokens_for_another_audience_from_another_issuer_expired_or_forged_are_401()
    {
        var (_, _, staff, staffSubject) = await NgoWithStaffAsync();
        Assert.Equal(HttpStatusCode.OK, await BrowseAsync(staff));
        Assert.Equal(HttpStatusCode.Unauthorized, await BrowseAsync(Issuer.Mint(Person(staffSubject), "api://another-app")));
        Assert.Equal(HttpStatusCode.Unauthorized, await BrowseAsync(Issuer.Mint(Person(staffSubject), Audience, issuer: "https://login.example.org/other/v2.0")));
        Assert.Equal(HttpStatusCode.Unauthorized, await BrowseAsync(Issuer.Mint(Person(staffSubject), Audience, lifetime: TimeSpan.FromMinutes(5), notBefore: DateTime.UtcNow.AddHours(-1))));
        Assert.Equal(HttpStatusCode.Unauthorized, await BrowseAsync(Issuer.Mint(Person(staffSubject), Audience, key: OidcIssuer.Unpublished())));
        // Still valid from the provider, so the refusals above were the token's doing.
        Assert.Equal(HttpStatusCode.OK, await BrowseAsync(Issuer.Mint(Person(staffSubject), Audience)));
    }

    [Fact]
    public async Task The_development_key_no_longer_signs_for_anyone_once_an_authority_is_set()
    {
        Assert.Null(App.Services.GetRequiredService<AuthSettings>().DevelopmentKey);
        var devKey = App.Services.GetRequiredService<IConfiguration>()["Auth:DevelopmentSigningKey"];
        Assert.False(string.IsNullOrEmpty(devKey)); // the Development settings still carry it: it is the authority that turns it off
        var now = DateTime.UtcNow;
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AuthSetup.DevelopmentIssuer, Audience = Audience, IssuedAt = now, NotBefore = now, Expires = now.AddMinutes(30),
            Subject = new ClaimsIdentity([new Claim(Caller.SubjectClaim, "x"), new Claim(Caller.RoleClaim, "operator"), new Claim(Caller.OrganisationClaim, "platform")]),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(devKey!)), SecurityAlgorithms.HmacSha256),
        });
        Assert.Equal(HttpStatusCode.Unauthorized, await BrowseAsync(forged));
    }

    [Fact]
    public async Task When_the_provider_rotates_its_key_tokens_signed_with_the_new_one_are_accepted()
    {
        var (_, _, staff, staffSubject) = await NgoWithStaffAsync();
        Assert.Equal(HttpStatusCode.OK, await BrowseAsync(staff));
        var fetches = Issuer.KeyFetches;
        Issuer.Rotate();
        var token = TokenOf(staffSubject);
        // ASP.NET Core's bearer handler answers the first token with an unknown key id 401 and asks for the keys again in
        // the background; the next requests see them. (Entra publishes a key weeks before signing with it, so a real
        // rotation is picked up by the daily refresh before any token needs it.)
        Assert.Equal(HttpStatusCode.OK, await Eventually.Until(() => BrowseAsync(token), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "the rotated key to be accepted"));
        Assert.True(Issuer.KeyFetches > fetches, "the app fetched the keys again on meeting an unknown key id");
    }
}
