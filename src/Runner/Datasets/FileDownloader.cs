using System.Net;
using System.Net.Http.Headers;

namespace Evals.Runner.Datasets;

/// <summary>
/// Downloads one file to <c>destination</c> through <c>destination.part</c>: an interrupted transfer (a dropped
/// connection, a killed process) continues from the bytes already there with an HTTP Range request; a server that
/// ignores the range sends the whole file again and the part is started over.
/// </summary>
public sealed class FileDownloader(HttpClient http, TimeSpan retryDelay)
{
    public const int Attempts = 4;

    public async Task DownloadAsync(Uri url, string destination, Action<long> progress, CancellationToken ct)
    {
        var part = destination + ".part";
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        for (var attempt = 1; ; attempt++)
        {
            var have = File.Exists(part) ? new FileInfo(part).Length : 0;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
                {
                    // The part is as long as the file or longer: start over rather than trust it.
                    File.Delete(part);
                    continue;
                }
                if (!response.IsSuccessStatusCode)
                {
                    var failure = $"{url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
                    if ((int)response.StatusCode < 500 || attempt >= Attempts) throw new DatasetDownloadException(failure);
                    throw new HttpRequestException(failure);
                }
                var resumed = have > 0 && response.StatusCode == HttpStatusCode.PartialContent
                    && response.Content.Headers.ContentRange?.From == have;
                await using (var file = new FileStream(part, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write))
                await using (var body = await response.Content.ReadAsStreamAsync(ct))
                {
                    var done = resumed ? have : 0;
                    progress(done);
                    var buffer = new byte[81920];
                    int read;
                    while ((read = await body.ReadAsync(buffer, ct)) > 0)
                    {
                        await file.WriteAsync(buffer.AsMemory(0, read), ct);
                        done += read;
                        progress(done);
                    }
                    if (response.Content.Headers.ContentLength is { } length && done - (resumed ? have : 0) < length)
                        throw new IOException($"{url}: the connection ended after {done} bytes");
                }
                File.Move(part, destination, overwrite: true);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !ct.IsCancellationRequested)
            {
                if (attempt >= Attempts)
                    throw new DatasetDownloadException($"{url}: {e.Message} (after {Attempts} attempts; " +
                        (File.Exists(part) ? $"the {new FileInfo(part).Length} bytes received are kept in {part}, and the next pull resumes from there)" : "nothing kept)"));
                await Task.Delay(retryDelay * attempt, ct);
            }
        }
    }
}

/// <summary>A download that failed (HTTP error, connection lost for good): the work failed, exit code 1.</summary>
public sealed class DatasetDownloadException(string message) : Exception(message);
