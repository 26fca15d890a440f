/** The page frame (masthead, navigation) and the routes. */
import { lazy, Suspense } from 'react';
import {
  Bullseye,
  Button,
  Masthead,
  MastheadBrand,
  MastheadContent,
  MastheadLogo,
  MastheadMain,
  MastheadToggle,
  Nav,
  NavItem,
  NavList,
  Page,
  PageSidebar,
  PageSidebarBody,
  PageToggleButton,
  SkipToContent,
  Spinner,
  Title,
} from '@patternfly/react-core';
import { BarsIcon } from '@patternfly/react-icons';
import { ApiContext } from './api/api-context.tsx';
import type { ApiClient } from './api/client.ts';
import type { RuntimeConfig } from './api/runtime-config.ts';
import { signOut } from './api/oidc.ts';
import { Link, matchPath, navigate, useLocation } from './router.tsx';
import { ImagesPage } from './pages/images-page.tsx';
import { NotFoundPage } from './pages/not-found-page.tsx';

// The images page (the landing page) is in the main bundle; the others load when first opened.
const ImageDetailsPage = lazy(() => import('./pages/image-details-page.tsx').then((m) => ({ default: m.ImageDetailsPage })));
const CreateImagePage = lazy(() => import('./pages/create-image-page.tsx').then((m) => ({ default: m.CreateImagePage })));
const BlueprintsPage = lazy(() => import('./pages/blueprints-page.tsx').then((m) => ({ default: m.BlueprintsPage })));
const BlueprintDetailsPage = lazy(() => import('./pages/blueprint-details-page.tsx').then((m) => ({ default: m.BlueprintDetailsPage })));
const BlueprintEditPage = lazy(() => import('./pages/blueprint-edit-page.tsx').then((m) => ({ default: m.BlueprintEditPage })));

function routeOf(path: string) {
  let p: Record<string, string> | undefined;
  if (path === '/' || path === '/images') return <ImagesPage />;
  if (path === '/images/new') return <CreateImagePage />;
  if ((p = matchPath('/images/:id', path))) return <ImageDetailsPage id={p.id} />;
  if (path === '/blueprints') return <BlueprintsPage />;
  if (path === '/blueprints/new') return <BlueprintEditPage />;
  if ((p = matchPath('/blueprints/:id/edit', path))) return <BlueprintEditPage id={p.id} />;
  if ((p = matchPath('/blueprints/:id', path))) return <BlueprintDetailsPage id={p.id} />;
  return <NotFoundPage />;
}

export function App({ api, config }: { api: ApiClient; config: RuntimeConfig }) {
  const { path } = useLocation();
  const section = path.startsWith('/blueprints') ? 'blueprints' : 'images';
  const auth = config.auth;
  const org = auth.mode === 'header' ? auth.org : auth.mode === 'local' ? auth.org : undefined;
  const masthead = (
    <Masthead>
      <MastheadMain>
        <MastheadToggle>
          <PageToggleButton variant="plain" aria-label="Navigation">
            <BarsIcon />
          </PageToggleButton>
        </MastheadToggle>
        <MastheadBrand>
          <MastheadLogo component="a" href="/" onClick={(e: React.MouseEvent) => (e.preventDefault(), navigate('/'))}>
            <Title headingLevel="h1" size="lg" style={{ color: 'inherit' }}>
              Image Builder
            </Title>
          </MastheadLogo>
        </MastheadBrand>
      </MastheadMain>
      <MastheadContent>
        <span style={{ marginLeft: 'auto' }}>{org ? `Organization: ${org}` : null}</span>
        {auth.mode === 'oidc' ? (
          <Button variant="secondary" onClick={() => void signOut(auth)} style={{ marginLeft: 16 }}>
            Sign out
          </Button>
        ) : null}
      </MastheadContent>
    </Masthead>
  );
  const sidebar = (
    <PageSidebar>
      <PageSidebarBody>
        <Nav aria-label="Main">
          <NavList>
            <NavItem isActive={section === 'images'}>
              <Link to="/">Images</Link>
            </NavItem>
            <NavItem isActive={section === 'blueprints'}>
              <Link to="/blueprints">Blueprints</Link>
            </NavItem>
          </NavList>
        </Nav>
      </PageSidebarBody>
    </PageSidebar>
  );
  return (
    <ApiContext.Provider value={{ api, config }}>
      <Page
        masthead={masthead}
        sidebar={sidebar}
        isManagedSidebar
        mainContainerId="main-content"
        skipToContent={<SkipToContent href="#main-content">Skip to content</SkipToContent>}
      >
        <Suspense
          fallback={
            <Bullseye>
              <Spinner aria-label="Loading the page" />
            </Bullseye>
          }
        >
          {routeOf(path)}
        </Suspense>
      </Page>
    </ApiContext.Provider>
  );
}
