import { Link } from 'react-router';

export function NotAllowed() {
  return (
    <div className="page narrow">
      <section className="card center" aria-labelledby="not-allowed-h">
        <h1 id="not-allowed-h">Not allowed</h1>
        <p>This part of the dashboard is for administrators. If you need access, ask an administrator of your organisation.</p>
        <p>
          <Link to="/platform" className="button">
            Back to the platform
          </Link>
        </p>
      </section>
    </div>
  );
}

export function NotFound() {
  return (
    <div className="page narrow">
      <section className="card center" aria-labelledby="nf-h">
        <h1 id="nf-h">Page not found</h1>
        <p>There is nothing at this address.</p>
        <p>
          <Link to="/" className="button">
            Go home
          </Link>
        </p>
      </section>
    </div>
  );
}
